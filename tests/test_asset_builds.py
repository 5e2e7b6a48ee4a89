"""The shipped scripts and stylesheet in static/ are the minified builds of their commented
sources in assets/."""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404: runs the project's own build script, no shell, fixed arguments
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The npm script that builds each shipped file (package.json), by the file it writes.
BUILDS = {
    "static/embed.js": "build:embed",
    "static/js/widget.js": "build:widget",
    "static/js/popup.js": "build:popup",
    "static/css/quiz.css": "build:css",
}
# The npm packages that do the building.
TOOLS = ("terser", "lightningcss-cli")


@pytest.mark.parametrize("shipped", sorted(BUILDS))
def test_each_shipped_script_is_the_build_of_its_source(shipped):
    npm = shutil.which("npm")
    if npm is None or not all((ROOT / "node_modules" / tool).is_dir() for tool in TOOLS):
        reason = "terser or lightningcss is not installed (run `npm ci` or `make test`)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI is set: the build check must run")
        pytest.skip(f"{reason}; build check skipped")
    built = subprocess.run(  # nosec B603
        [npm, "run", "--silent", BUILDS[shipped]],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    assert built == (ROOT / shipped).read_bytes(), f"{shipped} is out of date: run `make assets`"


def test_every_source_in_assets_has_its_build():
    sources = {f"assets/{path.name}" for path in (ROOT / "assets").iterdir()}
    assert sources == {f"assets/{Path(shipped).name}" for shipped in BUILDS}
