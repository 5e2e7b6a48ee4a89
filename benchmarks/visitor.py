"""Walk the quiz in Chromium as a visitor on a phone and on a computer; print each screen.

Serves the app (temporary SQLite database, the demo clinic) on 127.0.0.1 and walks the demo
clinic's quiz at 390 x 844 (a phone) and at 1280 x 900 (a computer) as a healthy adult with
one concern (fine lines), JavaScript on. For every screen it prints the words shown (text
a reader sees: closed disclosures hide their content), the page's height and the forward
taps so far (each answer ticked and each Start, Next or Send pressed). On the result screen
it also prints the words before the contact form and where the verdict, the summary, the
way to the clinic and the form start.

With JavaScript on, steps change in place: the tap's POST is sent with fetch and the next
step swapped in. For every screen after the intro it prints the time from the tap to the
next screen's heading taking focus; then, in a second tab of the same browser (styles and
scripts already cached) on the same screen, the same answers sent as a page load (the POST,
its 303 and the next screen loaded in full, as without JavaScript) and the next screen's
address loaded on its own (GET /embed/SLUG/step?state=...), each from the navigation's start
to the same heading taking focus, and each as a ratio to the time in place (above 1: the
step in place was quicker). Exits 1 when a step was not swapped in place, when the result's
verdict, summary or way to contact the clinic lies below the first screen on the phone, or
when more than 300 words come before the contact form.

    .venv/bin/python benchmarks/visitor.py [--chromium PATH]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.weight import launch, serve

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


# Installed in every document of the browser: when a tap happened, and when a page's heading
# took focus (widget.js focuses it once the next step is shown, swapped in or loaded).
TIMING = """
window.__quizTap = null;
window.__quizShown = null;
document.addEventListener("click", () => {
  window.__quizTap = performance.now();
  window.__quizShown = null;
}, true);
document.addEventListener("focusin", e => {
  if (e.target.id === "step-heading") window.__quizShown = performance.now();
}, true);
"""
# Set on the walking tab's window: a step swapped in place keeps it, a page load loses it.
MARK = "window.__sameDocument"


# Sends a step's form as a browser without our script does: a POST navigation, answered with
# a 303 to the next screen's address, which is loaded in full.
PLAIN_SUBMIT = """selector => {
  const button = document.querySelector(selector);
  const pressed = document.createElement("input");
  pressed.type = "hidden";
  pressed.name = button.name;
  pressed.value = button.value;
  button.form.appendChild(pressed);
  HTMLFormElement.prototype.submit.call(button.form);
}"""
SHOWN = "() => window.__quizShown !== null"


def tap_in_place(page, locator) -> float:
    """Press a button and return the milliseconds until the next screen's heading has focus."""
    locator.click()
    page.wait_for_function(SHOWN)
    return page.evaluate("window.__quizShown - window.__quizTap")


def tap_full_load(tab, selector: str) -> float:
    """Send the tab's form as a page load; return the milliseconds from the navigation's
    start (the POST) to the next screen's heading taking focus."""
    with tab.expect_navigation(wait_until="load"):
        tab.evaluate(PLAIN_SUBMIT, selector)
    tab.wait_for_function(SHOWN)
    return tab.evaluate("window.__quizShown")


def full_load(tab, url: str) -> float:
    """Load `url` in its own document; return the milliseconds from the navigation's start
    to its heading taking focus."""
    tab.goto(url, wait_until="load")
    tab.wait_for_function(SHOWN)
    return tab.evaluate("window.__quizShown")


def screen(page, name: str, taps: int, timing: tuple[float, ...] | None) -> dict:
    """The figures of the screen now shown; `timing` is (in place, tap then full load, the
    address loaded) in ms."""
    return {
        "screen": name,
        "words": page.locator("main").evaluate(WORDS),
        # The content's own height (as widget.js reports it to a clinic's page), not the window.
        "height": page.evaluate(
            "Math.ceil(document.documentElement.getBoundingClientRect().height)"
        ),
        "taps": taps,
        "timing": timing,
    }


def tick(page) -> int:
    """Tick this step's answers that are not ticked yet; return how many taps that took."""
    taps = 0
    for qid, values in ANSWERS.items():
        for value in values:
            box = page.locator(f'input[name="q-{qid}"][value="{value}"]')
            if box.count() and not box.is_checked():
                box.check()
                taps += 1
    return taps


def tap_and_compare(page, tab, selector: str) -> tuple[float, float, float]:
    """Tap in the walking tab; send the same answers from the other tab as a page load; then
    load the walking tab's new address there, which leaves both tabs on the same screen."""
    tick(tab)
    # A tab in the background is throttled: each is brought to the front before it is timed.
    page.bring_to_front()
    in_place = tap_in_place(page, page.locator(selector))
    tab.bring_to_front()
    loaded = tap_full_load(tab, selector)
    return in_place, loaded, full_load(tab, page.url)


def walk(page, tab, origin: str) -> tuple[list[dict], dict, bool]:
    """Walk intro → steps → result in `page`, following each tap in `tab` with page loads;
    return the screens, the result's places and whether every step was swapped in place."""
    page.goto(f"{origin}/embed/demo", wait_until="load")
    # The other tab starts on the intro too: its loads find what a visitor's browser has
    # cached after the first page, as the walking tab has.
    tab.goto(f"{origin}/embed/demo", wait_until="load")
    page.evaluate(f"{MARK} = true")
    rows = [screen(page, "intro", 0, None)]
    taps = 1
    timing = tap_and_compare(page, tab, "button[value=start]")
    number = 1
    while page.locator("button[value=next]").count():
        rows.append(screen(page, f"step {number}", taps, timing))
        taps += tick(page) + 1
        timing = tap_and_compare(page, tab, "button[value=next]")
        number += 1
    rows.append(screen(page, "result", taps, timing))
    in_place = page.evaluate(f"{MARK} === true")
    return rows, page.evaluate(RESULT_PLACES), in_place


def print_screens(rows: list[dict]) -> None:
    """Print the table of screens, with each one's time in place against full loads."""
    print(
        f"{'screen':<10} {'words':>6} {'height':>7} {'taps':>5} {'in place':>9}"
        f" {'tap+load':>9} {'ratio':>6} {'GET':>6} {'ratio':>6}   (ms)"
    )
    for row in rows:
        shown = ("-",) * 5
        if row["timing"] is not None:
            swapped, tapped, got = row["timing"]
            shown = (
                f"{swapped:.0f}",
                f"{tapped:.0f}",
                f"{tapped / swapped:.1f}",
                f"{got:.0f}",
                f"{got / swapped:.1f}",
            )
        print(
            f"{row['screen']:<10} {row['words']:>6} {row['height']:>7} {row['taps']:>5}"
            f" {shown[0]:>9} {shown[1]:>9} {shown[2]:>6} {shown[3]:>6} {shown[4]:>6}"
        )
    timed = [row["timing"] for row in rows if row["timing"] is not None]
    totals = [sum(t[i] for t in timed) for i in range(3)]
    medians = [statistics.median(t[i] / t[0] for t in timed) for i in (1, 2)]
    print(
        f"{len(timed)} screens, in all: in place {totals[0]:.0f} ms, tap then full load"
        f" {totals[1]:.0f} ms ({totals[1] / totals[0]:.1f}x, median per screen"
        f" {medians[0]:.1f}x), the address alone {totals[2]:.0f} ms"
        f" ({totals[2] / totals[0]:.1f}x, median {medians[1]:.1f}x)"
    )


def run_size(browser, origin: str, name: str, size: tuple[int, int]) -> int:
    """Walk the quiz at one window size, print its figures, and return 1 on a miss, else 0."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(TIMING)
    try:
        rows, places, in_place = walk(context.new_page(), context.new_page(), origin)
    finally:
        context.close()
    print(f"\n{name} {width} x {height}")
    print_screens(rows)
    print(
        f"result: verdict ends at {places['verdict']} px, summary at "
        f"{places['summary']} px, way to the clinic at {places['contact']} px, "
        f"form heading at {places['form']} px; "
        f"{places['words_before_form']} words before the form"
    )
    status = 0
    if not in_place:
        print("FAIL: a step was a page load, not swapped in place")
        status = 1
    bottoms = (places["verdict"], places["summary"], places["contact"])
    if name == "phone" and (None in bottoms or max(bottoms) > height):
        print("FAIL: the verdict, summary and way to the clinic are not all on screen")
        status = 1
    if places["words_before_form"] > WORD_LIMIT:
        print(f"FAIL: more than {WORD_LIMIT} words before the contact form")
        status = 1
    return status


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
    print(f"load average {os.getloadavg()[0]:.1f} at the start ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        server, origin, _ = serve(Path(folder))
        logging.getLogger("quiz.access").setLevel(logging.WARNING)
        browser = launch(playwright, options.chromium)
        try:
            for name, size in VIEWPORTS.items():
                status |= run_size(browser, origin, name, size)
        finally:
            browser.close()
            server.shutdown()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return status


if __name__ == "__main__":
    sys.exit(main())
