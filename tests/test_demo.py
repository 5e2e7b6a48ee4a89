"""Tests for the demo host page at / and the weight of the host-page script."""

from __future__ import annotations

import gzip
import html
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"


def test_demo_page_embeds_the_demo_clinic_with_the_snippet_it_shows(client, make_clinic):
    make_clinic("demo", name="Demo Aesthetic Clinic")
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    tag = '<script src="http://localhost/static/embed.js" data-clinic="demo" async></script>'
    assert tag in page
    shown = re.search(r"<pre><code>(.*?)</code></pre>", page, re.S).group(1)
    assert html.unescape(shown) == tag
    assert "Demo Aesthetic Clinic" in page


def test_demo_snippet_uses_the_public_url_when_configured(app, client, make_clinic):
    make_clinic("demo")
    app.config["PUBLIC_URL"] = "https://quiz.example.com"
    page = client.get("/").get_data(as_text=True)
    assert 'src="https://quiz.example.com/static/embed.js"' in page


def test_demo_page_without_the_demo_clinic_explains_how_to_create_it(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "make run" in page
    assert "embed.js" not in page


def test_demo_page_links_the_quiz_for_visitors_without_javascript(client, make_clinic):
    make_clinic("demo")
    page = client.get("/").get_data(as_text=True)
    assert '<noscript><p><a href="/embed/demo">' in page


def test_embed_script_stays_at_or_under_three_kilobytes_gzipped():
    # What every page of a clinic's site loads, in every mode; the popup's code is separate.
    size = len(gzip.compress((STATIC / "embed.js").read_bytes(), compresslevel=9))
    assert size <= 3 * 1024, f"embed.js is {size} bytes gzipped"


# The scripts as written (the files in static/ are their minified builds).
HOST_SCRIPTS = (
    ROOT / "assets" / "embed.js",
    ROOT / "assets" / "popup.js",
    ROOT / "assets" / "widget.js",
)


def test_scripts_never_use_inner_html_cookies_or_a_wildcard_target():
    for path in HOST_SCRIPTS:
        source = path.read_text()
        for forbidden in ("innerHTML", "sessionStorage", "document.cookie"):
            assert forbidden not in source, f"{path.name} uses {forbidden}"
        assert not re.search(r"postMessage\([^)]*['\"]\*['\"]", source), path.name


def test_only_show_once_touches_storage_and_only_on_the_host_page():
    # The quiz (widget.js) stores nothing; embed.js keeps one flag under one key for
    # data-show-once, on the clinic's own origin.
    assert "localStorage" not in (ROOT / "assets" / "widget.js").read_text()
    assert "localStorage" not in (ROOT / "assets" / "popup.js").read_text()
    source = (ROOT / "assets" / "embed.js").read_text()
    uses = set(re.findall(r"localStorage\.(\w+)\(([^)]*)\)", source))
    assert uses == {("getItem", "key"), ("setItem", 'key, "1"')}
    assert 'key = "quiz-seen:" + widget.clinic' in source
