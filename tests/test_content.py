"""Educational pages: Markdown rendered without raw HTML, cached, hideable per clinic."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from quiz import content
from quiz.runtime import install, runtime


@pytest.fixture(autouse=True)
def _fresh_cache():
    content.clear_cache()
    yield
    content.clear_cache()


def test_markdown_is_rendered_and_raw_html_is_escaped():
    page = content.render_markdown("# Title\n\nSome **bold** text.\n\n<script>alert(1)</script>\n")
    assert "<h1>Title</h1>" in page and "<strong>bold</strong>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unsafe_links_are_not_made_into_links():
    page = content.render_markdown("[a](javascript:alert(1)) [b](data:text/html,x) [c](/ok)")
    assert "javascript:" not in page.split("[a]")[0] and 'href="javascript' not in page
    assert 'href="data:' not in page
    assert 'href="/ok"' in page


def test_outside_links_open_in_a_new_tab_without_an_opener():
    page = content.render_markdown("[NHS](https://www.nhs.uk/)")
    assert 'href="https://www.nhs.uk/" target="_blank" rel="noopener noreferrer"' in page


def _copy_with(questionnaire, tmp_path: Path, text: str):
    item = questionnaire.content[0]
    target = tmp_path / item.file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return replace(questionnaire, base_dir=str(tmp_path)), item


def test_each_file_is_read_once_then_cached(questionnaire, tmp_path):
    quiz, item = _copy_with(questionnaire, tmp_path, "# First\n")
    assert "First" in content.render_item(quiz, item, "en")
    (tmp_path / item.file).write_text("# Second\n", encoding="utf-8")
    assert "First" in content.render_item(quiz, item, "en")


def test_a_missing_translation_falls_back_to_the_default_language(questionnaire, tmp_path):
    quiz, item = _copy_with(questionnaire, tmp_path, "# Default\n")
    assert content.content_path(quiz, item, "de") == tmp_path / item.file


def test_content_page_route_renders_markdown_without_raw_html(
    app, client, make_clinic, questionnaire, tmp_path
):
    quiz, item = _copy_with(
        questionnaire,
        tmp_path,
        "# Planted\n\nLast reviewed: 2026-01-01\n\n<script>alert(1)</script>\n",
    )
    install(app, replace(runtime(app), questionnaire=quiz))
    make_clinic("acme", origins=["https://acme.example"])
    response = app.test_client(use_cookies=False).get(f"/embed/acme/content/{item.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Planted</h1>" in page and "Last reviewed: 2026-01-01" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'href="/embed/acme?lang=en">Back to the quiz' in page
    assert (
        "frame-ancestors 'self' https://acme.example" in response.headers["Content-Security-Policy"]
    )
    assert "Set-Cookie" not in response.headers


def test_every_shipped_page_renders(app, make_clinic, questionnaire):
    make_clinic("acme")
    client = app.test_client(use_cookies=False)
    for item in questionnaire.content:
        response = client.get(f"/embed/acme/content/{item.id}")
        assert response.status_code == 200, item.id
        assert "<h1>" in response.get_data(as_text=True)


def test_hidden_or_unknown_content_is_404(app, make_clinic, questionnaire):
    hidden = questionnaire.content[0].id
    make_clinic("acme", settings={"hidden_content": [hidden]})
    client = app.test_client(use_cookies=False)
    assert client.get(f"/embed/acme/content/{hidden}").status_code == 404
    assert client.get("/embed/acme/content/no-such-page").status_code == 404
    assert client.get(f"/embed/acme/content/{questionnaire.content[1].id}").status_code == 200
