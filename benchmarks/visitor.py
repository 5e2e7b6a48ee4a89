"""Walk the quiz in Chromium as a visitor on a phone and on a computer; print each screen.

Serves the app (temporary SQLite database, the demo clinic) on 127.0.0.1 and walks the demo
clinic's quiz at 390 x 844 (a phone) and at 1280 x 900 (a computer) as a healthy adult with
one concern (fine lines), JavaScript on. For every screen it prints the words shown (text
a reader sees: closed disclosures hide their content), the page's height, the forward taps
so far (each answer ticked and each Start, Next or Send pressed) and the time from the tap
to the next screen's load event. On the result screen it also prints the words before the
contact form and where the verdict, the summary, the way to the clinic and the form start.

Steps are full page loads (a POST answered with the next page), so every step's time is a
full load. Exits 1 when the result's verdict, summary or way to contact the clinic lies
below the first screen on the phone, or more than 300 words come before the contact form.

    .venv/bin/python benchmarks/visitor.py [--chromium PATH]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.weight import ARGS, serve

VIEWPORTS = {"phone": (390, 844), "computer": (1280, 900)}
WORD_LIMIT = 300
# A healthy adult with one concern: every safety answer "none of these", fine lines.
ANSWERS = {
    "age": ["adult"],
    "concerns": ["fine_lines"],
    "goal": ["subtle"],
    "pregnancy": ["none"],
    "skin_now": ["none"],
    "allergies": ["none"],
    "medicines": ["none"],
    "history": ["none"],
    "previous_treatments": ["never"],
    "sensitivity": ["rarely"],
    "phototype": ["sometimes_burns"],
    "dark_marks": ["no"],
    "face_detail": ["fine_lines"],
}
# What a reader sees of an element: innerText leaves out closed <details> and hidden text.
WORDS = "el => (el.innerText.match(/[\\p{L}\\p{N}]+/gu) || []).length"
RESULT_PLACES = """() => {
  const top = sel => { const el = document.querySelector(sel);
    return el ? Math.round(el.getBoundingClientRect().bottom + window.scrollY) : null; };
  const form = document.querySelector("#contact, section.contact");
  let before = 0;
  if (form) {
    const range = document.createRange();
    range.setStartBefore(document.querySelector("main"));
    range.setEndBefore(form);
    const box = document.createElement("div");
    box.appendChild(range.cloneContents());
    // Only what is rendered: drop closed disclosures' bodies and visually hidden text.
    box.querySelectorAll("details:not([open]) > :not(summary), .visually-hidden, .hp")
      .forEach(el => el.remove());
    before = (box.textContent.match(/[\\p{L}\\p{N}]+/gu) || []).length;
  }
  return {verdict: top(".suitability"), summary: top(".outcome-summary, .outcome-title + p"),
          contact: top(".next-step a, .contact h2"), form: top(".contact h2"),
          words_before_form: before};
}"""


def tap_to_load(page, locator) -> float:
    """Press a button and return the milliseconds until the next page's load event."""
    start = time.perf_counter()
    with page.expect_navigation(wait_until="load"):
        locator.click()
    return (time.perf_counter() - start) * 1000


def screen(page, name: str, taps: int, millis: float | None) -> dict:
    """The figures of the screen now shown."""
    return {
        "screen": name,
        "words": page.locator("main").evaluate(WORDS),
        # The content's own height (as widget.js reports it to a clinic's page), not the window.
        "height": page.evaluate(
            "Math.ceil(document.documentElement.getBoundingClientRect().height)"
        ),
        "taps": taps,
        "ms": millis,
    }


def walk(page, origin: str) -> tuple[list[dict], dict]:
    """Walk intro → steps → result; return the screens and the result's places."""
    page.goto(f"{origin}/embed/demo", wait_until="load")
    rows = [screen(page, "intro", 0, None)]
    taps = 1
    millis = tap_to_load(page, page.get_by_role("button", name="Start"))
    number = 1
    while page.locator("button[value=next]").count():
        rows.append(screen(page, f"step {number}", taps, millis))
        for qid, values in ANSWERS.items():
            for value in values:
                box = page.locator(f'input[name="q-{qid}"][value="{value}"]')
                if box.count() and not box.is_checked():
                    box.check()
                    taps += 1
        taps += 1
        millis = tap_to_load(page, page.locator("button[value=next]"))
        number += 1
    rows.append(screen(page, "result", taps, millis))
    return rows, page.evaluate(RESULT_PLACES)


def main(argv: list[str] | None = None) -> int:
    """Walk the quiz at both sizes, print a table per size, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=shutil.which("chromium"), help="browser binary")
    options = parser.parse_args(argv)
    if not options.chromium:
        print("chromium not found: install it or pass --chromium PATH", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    status = 0
    print(f"load average {os.getloadavg()[0]:.1f}; steps are full page loads")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        server, origin, _ = serve(Path(folder))
        logging.getLogger("quiz.access").setLevel(logging.WARNING)
        browser = playwright.chromium.launch(
            executable_path=options.chromium, headless=True, args=ARGS
        )
        try:
            for name, (width, height) in VIEWPORTS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                rows, places = walk(page, origin)
                page.close()
                print(f"\n{name} {width} x {height}")
                print(f"{'screen':<10} {'words':>6} {'height':>7} {'taps':>5} {'tap→load ms':>12}")
                for row in rows:
                    ms = f"{row['ms']:.0f}" if row["ms"] is not None else "-"
                    print(
                        f"{row['screen']:<10} {row['words']:>6} {row['height']:>7}"
                        f" {row['taps']:>5} {ms:>12}"
                    )
                print(
                    f"result: verdict ends at {places['verdict']} px, summary at "
                    f"{places['summary']} px, way to the clinic at {places['contact']} px, "
                    f"form heading at {places['form']} px; "
                    f"{places['words_before_form']} words before the form"
                )
                bottoms = (places["verdict"], places["summary"], places["contact"])
                if name == "phone" and (None in bottoms or max(bottoms) > height):
                    print("FAIL: the verdict, summary and way to the clinic are not all on screen")
                    status = 1
                if places["words_before_form"] > WORD_LIMIT:
                    print(f"FAIL: more than {WORD_LIMIT} words before the contact form")
                    status = 1
        finally:
            browser.close()
            server.shutdown()
    return status


if __name__ == "__main__":
    sys.exit(main())
