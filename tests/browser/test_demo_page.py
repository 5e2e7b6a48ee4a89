"""The demo host page at / embeds the demo clinic's quiz from the quiz's own origin."""

from __future__ import annotations

from tests.browser.helpers import (
    assert_height_fits,
    assert_height_reserved,
    quiz_frame,
    submit,
)


def test_demo_page_frames_the_demo_quiz_on_the_same_origin(browser_page, quiz_server):
    page = browser_page.page
    page.goto(f"{quiz_server.origin}/")
    assert (
        page.locator("pre code")
        .inner_text()
        .startswith(f'<script src="{quiz_server.origin}/static/embed.js" data-clinic="demo"')
    )
    frame = quiz_frame(page, ".quiz-slot iframe")
    assert frame.url.startswith(f"{quiz_server.origin}/embed/demo?")
    assert frame.locator("#step-heading").count() == 1
    assert_height_reserved(page, ".quiz-slot iframe")
    submit(frame, frame.get_by_role("button", name="Start"))
    assert_height_fits(page, frame, ".quiz-slot iframe")
    assert browser_page.errors == []
    assert not [line for line in browser_page.console if "Content Security Policy" in line]
