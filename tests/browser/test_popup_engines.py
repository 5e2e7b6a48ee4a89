"""The popup in Chromium, Firefox and WebKit alike: it opens from the page's link, holds focus
with Tab, closes on Escape (on the page or inside the quiz) with focus back on the opener, and
sends a lead with the host page's campaign. test_embed_modes covers the rest in Chromium."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from tests.browser.conftest import HOST_CLINIC
from tests.browser.engines import HostBrowser, wait_until
from tests.browser.helpers import answer_step, click_contact
from tests.helpers import answer_everything

POPUP = "dialog.quiz-popup"
FRAME = "dialog.quiz-popup iframe"
TITLE = "Is mesotherapy right for you?"
# Where focus is on the host page, without reading any text.
FOCUS = """var a = document.activeElement, d = document.querySelector('dialog.quiz-popup[open]');
return {tag: a ? a.tagName.toLowerCase() : null, id: a ? a.id || null : null,
        cls: a ? String(a.className) : null, inDialog: !!d && d.contains(a)};"""
UTM = {"utm_source": "newsletter", "utm_campaign": "popup-engines"}


def focus(browser: HostBrowser) -> dict:
    """Where focus is; focus crossing into the quiz's frame passes through body for a moment."""
    return wait_until(
        lambda: (f := browser.run_js(FOCUS)) and f["tag"] != "body" and f,
        timeout=2,
        message="focus to land",
        transient=browser.transient,
    )


def open_popup(browser: HostBrowser, host_server: str) -> None:
    browser.open(f"{host_server}/popup.html")
    browser.wait_for("document.querySelector('[data-quiz-mounted]') !== null")
    assert browser.run_js(f"return document.querySelector('{POPUP}');") is None
    browser.click("#opener")
    browser.wait_for(f"document.querySelector('{POPUP}[open]') !== null")
    with browser.frame(FRAME):
        browser.wait_for("document.getElementById('step-heading') !== null")


def closed_with_focus_on_the_opener(browser: HostBrowser) -> None:
    # The dialog's close event runs as a task of its own, after the attribute goes.
    browser.wait_for(f"!document.querySelector('{POPUP}').open")
    browser.wait_for("document.documentElement.style.overflow === ''")
    assert focus(browser)["id"] == "opener"


def test_the_popup_opens_as_a_modal_dialog_and_keeps_focus_inside(host_browser, host_server):
    browser = host_browser
    open_popup(browser, host_server)
    dialog = browser.run_js(
        f"var d = document.querySelector('{POPUP}');"
        "return {role: d.getAttribute('role'), modal: d.getAttribute('aria-modal'),"
        " name: document.getElementById(d.getAttribute('aria-labelledby')).textContent,"
        " isModal: d.matches(':modal'), overflow: document.documentElement.style.overflow};"
    )
    assert dialog == {
        "role": "dialog",
        "modal": "true",
        "name": TITLE,
        "isModal": True,
        "overflow": "hidden",
    }
    assert focus(browser)["cls"] == "quiz-popup-close"
    seen = []
    for _ in range(30):
        browser.press("Tab")
        where = focus(browser)
        assert where["inDialog"], f"focus left the dialog after {seen}: {where}"
        seen.append(where["tag"])
        if where["cls"] == "quiz-popup-close":
            break
    else:
        pytest.fail(f"Tab never came back to the close button: {seen}")
    assert "iframe" in seen, seen
    browser.press("Shift+Tab")
    assert focus(browser)["inDialog"]
    browser.press("Escape")
    closed_with_focus_on_the_opener(browser)


def test_escape_inside_the_quiz_closes_the_popup(host_browser, host_server):
    browser = host_browser
    open_popup(browser, host_server)
    # Into the quiz with the keyboard (a script's focus() would not reach a cross-origin
    # frame in WebKit), start it, and press Escape where the quiz put focus.
    browser.press("Tab")
    assert focus(browser)["tag"] == "iframe"
    with browser.frame(FRAME):
        with browser.navigation():
            browser.press("Enter")
        assert browser.focused()["id"] == "step-heading"
        browser.press("Escape")
    closed_with_focus_on_the_opener(browser)


def test_a_lead_sent_from_the_popup_keeps_the_host_pages_utm(
    host_browser, host_server, quiz_server
):
    browser = host_browser
    email = f"popup.{browser.name}@example.org"
    query = "&".join(f"{k}={v}" for k, v in UTM.items())
    # /timed.html opens the popup by itself (data-open-after="0") once per site.
    browser.open(f"{host_server}/timed.html")
    browser.run_js("localStorage.clear();")
    browser.open(f"{host_server}/timed.html?{query}")
    browser.wait_for(f"document.querySelector('{POPUP}[open]') !== null")
    answers = answer_everything(runtime(quiz_server.app).questionnaire)
    with browser.frame(FRAME):
        browser.submit("button[value=start]")
        for _ in range(40):
            if browser.run_js("return !!document.querySelector('input[name=email]');"):
                break
            answer_step(browser, answers)
            browser.submit("button[value=next]")
        else:
            pytest.fail("never reached the contact form")
        assert click_contact(browser, "Popup Visitor", email) == "lead"
    browser.wait_for("window.quizEvents.some(function (e) { return e.type === 'quiz:lead'; })")
    assert browser.run_js(f"return localStorage.getItem('quiz-seen:{HOST_CLINIC}');") == "1"
    with quiz_server.app.app_context():
        lead = db.session.execute(select(Lead).filter_by(email=email)).scalar_one()
        stored = {k: getattr(lead, k) for k in UTM}
        page_url = lead.page_url
        db.session.remove()
    assert stored == UTM
    assert page_url == f"{host_server}/timed.html?{query}"
    # Seen once: the next visit does not open it by itself.
    browser.open(f"{host_server}/timed.html")
    browser.wait_for("document.querySelector('[data-quiz-mounted]') !== null")
    browser.run_js("return new Promise(function (r) { setTimeout(r, 500); });")
    assert browser.run_js(f"return document.querySelector('{POPUP}');") is None
    browser.run_js("localStorage.clear();")
    assert browser.run_js("return window.pageErrors;") == []
