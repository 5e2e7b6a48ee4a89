"""Measure the first-screen weight of the embedded quiz in Chromium: bytes and requests.

Serves the app (temporary SQLite database, the demo clinic) on 127.0.0.1, opens the demo host
page, and counts embed.js plus the iframe's document and everything the iframe loads. Exits 1
above the budget, or when any request leaves the quiz's own origin.

    .venv/bin/python benchmarks/weight.py [--budget 30720] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import gzip
import logging
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quiz import create_app
from quiz.crypto import new_key
from quiz.extensions import db

BUDGET = 30 * 1024
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


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
    return server, f"http://127.0.0.1:{server.server_port}"


def measure(origin: str, chromium: str) -> list[dict]:
    """Load the demo page; return one row per request the quiz made."""
    from playwright.sync_api import sync_playwright

    rows: list[dict] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        page = browser.new_page()
        responses = []
        page.on("response", lambda response: responses.append(response))
        page.goto(f"{origin}/", wait_until="networkidle")
        for response in responses:
            request = response.request
            in_frame = request.frame != page.main_frame
            is_loader = urlsplit(request.url).path == "/static/embed.js"
            if not (in_frame or is_loader):
                continue  # the demo host page itself is the clinic's, not the quiz's
            body = response.body() if response.status < 300 else b""
            sizes = request.sizes()
            rows.append(
                {
                    "url": request.url,
                    "status": response.status,
                    "encoding": response.headers.get("content-encoding", "-"),
                    "transferred": sizes["responseBodySize"],
                    "headers": sizes["responseHeadersSize"],
                    "raw": len(body),
                    "gzip": len(gzip.compress(body, compresslevel=9)) if body else 0,
                }
            )
        foreign = [r.request.url for r in responses if not r.request.url.startswith(origin)]
        for url in foreign:
            rows.append({"url": url, "foreign": True})
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the measurement, print a table, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=BUDGET, help="bytes (default 30 KiB)")
    parser.add_argument("--chromium", default=shutil.which("chromium"), help="browser binary")
    options = parser.parse_args(argv)
    if not options.chromium:
        print("chromium not found: install it or pass --chromium PATH", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        server, origin = serve(Path(folder))
        try:
            rows = measure(origin, options.chromium)
        finally:
            server.shutdown()

    foreign = [r["url"] for r in rows if r.get("foreign")]
    rows = [r for r in rows if not r.get("foreign")]
    print(f"{'transferred':>11} {'raw':>7} {'gzip-9':>7} {'enc':>5}  status  url")
    for r in rows:
        path = urlsplit(r["url"]).path
        print(
            f"{r['transferred']:>11} {r['raw']:>7} {r['gzip']:>7} {r['encoding']:>5}  "
            f"{r['status']:>6}  {path}"
        )
    transferred = sum(r["transferred"] for r in rows)
    raw = sum(r["raw"] for r in rows)
    gzipped = sum(r["gzip"] for r in rows)
    headers = sum(r["headers"] for r in rows)
    print(
        f"total: {len(rows)} requests, {transferred} bytes transferred (bodies as served; "
        f"{headers} more in headers), {raw} raw, {gzipped} if all gzip -9"
    )
    if not any(r["encoding"] in {"gzip", "br"} for r in rows):
        print("note: no response was compressed; the transferred size is the raw size")
    status = 0
    if transferred > options.budget:
        print(f"FAIL: {transferred} bytes is over the {options.budget}-byte budget")
        status = 1
    if foreign:
        print("FAIL: requests outside the quiz's origin: " + ", ".join(foreign))
        status = 1
    if not rows or not any("/embed/" in r["url"] for r in rows):
        print("FAIL: the quiz iframe never loaded")
        status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
