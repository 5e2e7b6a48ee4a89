"""The shipped host-page loader, static/embed.js, is the minified build of assets/embed.js."""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404: runs the project's own build script, no shell, fixed arguments
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_static_embed_js_is_the_build_of_its_source():
    npm = shutil.which("npm")
    if npm is None or not (ROOT / "node_modules" / "terser").is_dir():
        reason = "terser is not installed (run `npm ci` or `make test`)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI is set: the build check must run")
        pytest.skip(f"{reason}; embed.js build check skipped")
    built = subprocess.run(  # nosec B603
        [npm, "run", "--silent", "build:embed"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    shipped = (ROOT / "static" / "embed.js").read_bytes()
    assert built == shipped, "static/embed.js is out of date: run `make embed-js`"
