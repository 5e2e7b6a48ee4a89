"""Count the CPU instructions a request costs, under callgrind: steady however busy the machine.

Throughput on these shared cores swings with the neighbours; an instruction count does not
(valgrind's callgrind counts the same for the same code and inputs, whatever else runs).
For each request of `profile_pages.py` (start page, step POST, step page, lead POST) and
for a bare Flask "hello" through the same test client, the program is run twice under
callgrind, with few and with many requests, and the difference divided by the extra
requests: the start-up cancels out. Prints instructions per request and each as a multiple
of hello's. Needs valgrind (Debian package `valgrind`); about a minute per request kind.

    .venv/bin/python benchmarks/instructions.py [--only step] [--requests 100]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("hello", "start", "step", "page", "lead")
_COLLECTED = re.compile(r"Collected : (\d+)")


def _hello(requests: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from hello_app import app

    client = app.test_client()
    for _ in range(20 + requests):
        assert client.get("/").status_code == 200


def run_inside(kind: str, requests: int) -> None:
    """Make `requests` requests of one kind in this process (what callgrind measures)."""
    if kind == "hello":
        _hello(requests)
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import profile_pages

    # After 20 requests of warm-up, `requests` more.
    profile_pages.main(["--only", kind, "--requests", str(requests), "--plain"])


def count(kind: str, requests: int) -> int:
    """Return the instructions callgrind counts for a process making `requests` requests."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--inside",
            kind,
            "--requests",
            str(requests),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=ROOT,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(
            f"callgrind run of {kind} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    """Count each kind's instructions per request and print them against hello's."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=KINDS[1:], help="count hello and this request only")
    parser.add_argument("--requests", type=int, default=200, help="extra requests counted")
    parser.add_argument("--inside", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 20 <= args.requests <= 2000:
        parser.error("--requests: keep it within 20-2000")
    if args.inside:
        run_inside(args.inside, args.requests)
        return 0
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian package valgrind)")
    kinds = ("hello", args.only) if args.only else KINDS
    few = 20
    figures = {}
    for kind in kinds:
        extra = count(kind, few + args.requests) - count(kind, few)
        figures[kind] = extra / args.requests
        print(f"{kind:<6} {figures[kind]:>12,.0f} instructions a request", flush=True)
    print()
    for kind in kinds[1:]:
        print(f"{kind:<6} {figures[kind] / figures['hello']:>6.1f} times hello's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
