"""Measure what the embedded quiz costs a clinic's page in Chromium: bytes and requests.

Serves the app (temporary SQLite database, the demo clinic) on 127.0.0.1 and measures:

- the loader, static/embed.js: raw, gzip -9 and as served (budget 3 KB gzip);
- the inline first screen: the demo host page's embed.js plus the iframe's document and
  everything the iframe loads (budget 30 KiB);
- a closed popup: what a page with the popup snippet loads from the quiz before it opens
  (embed.js only), and what opening it adds;
- the time to the intro's first contentful paint on a throttled mobile profile (Chromium's
  network emulation over CDP: 1.6 Mbps down, 750 kbps up, 150 ms latency; a phone's
  viewport), against a bare page served with the same throttle, the median of 5 loads each.

The first screen's budget counts everything on the wire, bodies and headers (10 KB).
Exits 1 over a budget, when a closed popup loads more than embed.js, or when any request
leaves the quiz's own origin.

    .venv/bin/python benchmarks/weight.py [--budget 10240] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import gzip
import logging
import shutil
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quiz import create_app
from quiz.crypto import new_key
from quiz.demo import DEMO_SLUG
from quiz.extensions import db
from quiz.snippets import EmbedOptions
from tests.browser.engines import CHROMIUM_ARGS

BUDGET = 10 * 1024
# Chromium's network emulation for a slow mobile connection (bytes per second, ms).
THROTTLE = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
PAINT_LOADS = 5
BARE_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bare</title>'
    b'<meta name="viewport" content="width=device-width"></head><body><p>Bare page</p></body>'
    b"</html>"
)
LOADER_BUDGET = 3 * 1024


def launch(playwright, chromium: str):
    """Start Debian's Chromium headless, as every measurement here and in visitor.py does."""
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)


def serve(folder: Path):
    """Start the app with the demo clinic on a free loopback port; return (server, origin)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'quiz.db'}",
            "SECRET_KEY": "weight-benchmark",
            "DATA_ENCRYPTION_KEYS": [new_key()],
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_URL": None,
        },
        instance_path=str(folder / "instance"),
    )
    from quiz import services

    with app.app_context():
        db.create_all()
        services.ensure_demo_clinic()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}", app


def clinic_site(app, quiz_origin: str):
    """A clinic's page with the popup snippet, served on loopback (a site other than the
    quiz's: localhost against 127.0.0.1); return (server, page URL)."""
    from quiz import services

    site = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    origin = f"http://127.0.0.1:{site.server_port}"
    with app.app_context():
        services.create_clinic("popup", services.ClinicFields("Popup Clinic", origins=[origin]))
        snippet = services.embed_snippet("popup", EmbedOptions(mode="popup"), base=quiz_origin)
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Clinic</title>'
        f"</head><body><h1>Clinic</h1>{snippet}</body></html>"
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    site.RequestHandlerClass = Page
    threading.Thread(target=site.serve_forever, daemon=True).start()
    return site, f"{origin}/"


def row(response) -> dict:
    """Sizes of one response: as transferred, raw, and if it were all gzip -9."""
    request = response.request
    body = response.body() if response.status < 300 else b""
    sizes = request.sizes()
    return {
        "url": request.url,
        "status": response.status,
        "encoding": response.headers.get("content-encoding", "-"),
        "transferred": sizes["responseBodySize"],
        "headers": sizes["responseHeadersSize"],
        "raw": len(body),
        "gzip": len(gzip.compress(body, compresslevel=9)) if body else 0,
    }


def measure_popup(url: str, chromium: str) -> tuple[list[dict], list[dict]]:
    """The clinic's page with the popup: (the quiz's responses while closed, on opening)."""
    from playwright.sync_api import sync_playwright

    site = url.rstrip("/")
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        page = browser.new_page()
        responses: list = []
        page.on("response", lambda response: responses.append(response))
        page.goto(url, wait_until="networkidle")
        page.wait_for_timeout(500)
        closed = [row(r) for r in responses if not r.url.startswith(site)]
        responses.clear()
        page.click("[data-quiz-open]")
        page.wait_for_selector("dialog.quiz-popup[open] iframe")
        frame = page.locator("dialog.quiz-popup iframe").element_handle().content_frame()
        frame.wait_for_load_state("load")
        page.wait_for_timeout(500)  # anything the quiz's first page fetches after its load
        opened = [row(r) for r in responses if not r.url.startswith(site)]
        browser.close()
    return closed, opened


def measure(origin: str, chromium: str) -> list[dict]:
    """Load the demo page; return one row per request the quiz made."""
    from playwright.sync_api import sync_playwright

    rows: list[dict] = []
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        page = browser.new_page()
        responses = []
        page.on("response", lambda response: responses.append(response))
        page.goto(f"{origin}/", wait_until="networkidle")
        for response in responses:
            in_frame = response.request.frame != page.main_frame
            is_loader = urlsplit(response.url).path == "/static/embed.js"
            if in_frame or is_loader:  # the demo host page itself is the clinic's, not the quiz's
                rows.append(row(response))
        foreign = [r.request.url for r in responses if not r.request.url.startswith(origin)]
        for url in foreign:
            rows.append({"url": url, "foreign": True})
        browser.close()
    return rows


def bare_site():
    """A loopback server of one bare HTML page, the yardstick of the throttled paint."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(BARE_PAGE)))
            self.end_headers()
            self.wfile.write(BARE_PAGE)

        def log_message(self, *args):
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    return site, f"http://127.0.0.1:{site.server_port}/"


def first_paints(urls: dict[str, str], chromium: str) -> dict[str, list[float]]:
    """Milliseconds to first contentful paint of each URL, loaded PAINT_LOADS times each in a
    fresh phone-sized page (no cache) with the network throttled."""
    from playwright.sync_api import sync_playwright

    paints: dict[str, list[float]] = {name: [] for name in urls}
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        for _ in range(PAINT_LOADS):
            for name, url in urls.items():  # interleaved, so a busy moment hits both
                context = browser.new_context(
                    viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
                )
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.send("Network.emulateNetworkConditions", THROTTLE)
                page.goto(url, wait_until="load")
                page.wait_for_function(
                    "performance.getEntriesByName('first-contentful-paint').length > 0"
                )
                paints[name].append(
                    page.evaluate(
                        "performance.getEntriesByName('first-contentful-paint')[0].startTime"
                    )
                )
                context.close()
        browser.close()
    return paints


def report_paints(paints: dict[str, list[float]]) -> None:
    """Print the median first contentful paint of each page and the intro's against the bare."""
    import statistics

    print(
        f"\nfirst contentful paint, throttled mobile ({THROTTLE['latency']} ms latency,"
        f" {THROTTLE['downloadThroughput'] * 8 / 1e6:g} Mbps down), median of {PAINT_LOADS}:"
    )
    medians = {name: statistics.median(values) for name, values in paints.items()}
    for name, values in paints.items():
        runs = ", ".join(f"{v:.0f}" for v in values)
        print(f"{name:<6} {medians[name]:>6.0f} ms  ({runs})")
    print(
        f"intro - bare: {medians['intro'] - medians['bare']:.0f} ms,"
        f" intro / bare: {medians['intro'] / medians['bare']:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the measurement, print a table, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--budget", type=int, default=BUDGET, help="bytes on the wire (default 10 KiB)"
    )
    parser.add_argument("--chromium", default=shutil.which("chromium"), help="browser binary")
    options = parser.parse_args(argv)
    if not options.chromium:
        print("chromium not found: install it or pass --chromium PATH", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        server, origin, app = serve(Path(folder))
        quiz_elsewhere = origin.replace("127.0.0.1", "localhost")
        site, url = clinic_site(app, quiz_elsewhere)
        bare, bare_url = bare_site()
        try:
            rows = measure(origin, options.chromium)
            closed, opened = measure_popup(url, options.chromium)
            paints = first_paints(
                {"intro": f"{origin}/embed/{DEMO_SLUG}", "bare": bare_url}, options.chromium
            )
        finally:
            bare.shutdown()
            site.shutdown()
            server.shutdown()

    status = 0
    loader = (Path(__file__).resolve().parent.parent / "static" / "embed.js").read_bytes()
    loader_gzip = len(gzip.compress(loader, compresslevel=9))
    served = next((r for r in rows if urlsplit(r["url"]).path == "/static/embed.js"), None)
    print(
        f"loader: static/embed.js {len(loader)} bytes raw, {loader_gzip} gzip -9"
        + (f", {served['transferred']} as served ({served['encoding']})" if served else "")
    )
    if loader_gzip > LOADER_BUDGET:
        print(f"FAIL: embed.js is {loader_gzip} bytes gzip, over {LOADER_BUDGET}")
        status = 1

    print("\ninline first screen (the demo page):")
    status |= report(rows, origin, options.budget)
    if not rows or not any("/embed/" in r["url"] for r in rows):
        print("FAIL: the quiz iframe never loaded")
        status = 1

    print("\nclosed popup (a clinic's page with the popup snippet, before it opens):")
    status |= report(closed, quiz_elsewhere, None)
    if [urlsplit(r["url"]).path for r in closed] != ["/static/embed.js"]:
        print("FAIL: a closed popup must load embed.js only")
        status = 1
    print("\nopening the popup adds:")
    status |= report(opened, quiz_elsewhere, None)
    report_paints(paints)
    return status


def report(rows: list[dict], origin: str, budget: int | None) -> int:
    """Print a table of responses and their totals; return 1 over budget or off the origin."""
    foreign = [r["url"] for r in rows if not r["url"].startswith(origin)]
    rows = [r for r in rows if r["url"].startswith(origin)]
    print(f"{'transferred':>11} {'raw':>7} {'gzip-9':>7} {'enc':>5}  status  url")
    for r in rows:
        path = urlsplit(r["url"]).path
        print(
            f"{r['transferred']:>11} {r['raw']:>7} {r['gzip']:>7} {r['encoding']:>5}  "
            f"{r['status']:>6}  {path}"
        )
    transferred = sum(r["transferred"] for r in rows)
    print(
        f"total: {len(rows)} requests, {transferred} bytes transferred (bodies as served; "
        f"{sum(r['headers'] for r in rows)} more in headers), {sum(r['raw'] for r in rows)} raw, "
        f"{sum(r['gzip'] for r in rows)} if all gzip -9"
    )
    status = 0
    wire = transferred + sum(r["headers"] for r in rows)
    if budget is not None:
        print(f"on the wire, bodies and headers: {wire} bytes (budget {budget})")
    if budget is not None and wire > budget:
        print(f"FAIL: {wire} bytes on the wire is over the {budget}-byte budget")
        status = 1
    if foreign:
        print("FAIL: requests outside the quiz's origin: " + ", ".join(foreign))
        status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
