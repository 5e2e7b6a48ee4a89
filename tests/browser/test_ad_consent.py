"""Click ids cross from a clinic's page to the quiz only with ad-measurement consent: said by
`data-ad-consent`, or by an IAB TCF v2 CMP on the host page (a small `__tcfapi` here, since
the CMP belongs to the host). Checked in Chromium on another site, down to the stored lead."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from quiz.validation import CLICK_IDS
from tests.browser.helpers import finish_quiz, quiz_frame
from tests.helpers import answer_everything
from tests.servers import free_port

CLINIC = "adclinic"
GCLID = "Cj0KCQiA_browser-GCLID_BwE"
FBCLID = "IwAR2browser-fbclid_aem_x"
QUERY = f"utm_source=google&gclid={GCLID}&x=1&fbclid={FBCLID}"

# A TCF v2 CMP: answers addEventListener after `delay` ms (never when delay is null), first
# with "cmpuishown" when `shown`, then with the visitor's choice of purposes 1 and 7.
CMP = """<script>
window.tcfCalls = [];
window.__tcfapi = function (command, version, callback, parameter) {
  window.tcfCalls.push(command + ":" + version);
  if (command === "removeEventListener") { callback(true); return; }
  if (command !== "addEventListener" || %(delay)s === null) return;
  function tell(status) {
    callback({tcString: "CO-test", gdprApplies: true, eventStatus: status, listenerId: 7,
              purpose: {consents: {"1": %(p1)s, "7": %(p7)s}}}, true);
  }
  setTimeout(function () {
    if (!%(shown)s) return tell("tcloaded");
    tell("cmpuishown");
    setTimeout(function () { tell("useractioncomplete"); }, 50);
  }, %(delay)s);
};
</script>"""


def cmp(p1=True, p7=True, delay=30, shown=False) -> str:
    js = {True: "true", False: "false", None: "null"}
    return CMP % {
        "p1": js[p1],
        "p7": js[p7],
        "delay": "null" if delay is None else delay,
        "shown": js[shown],
    }


def page(quiz_origin: str, attribute: str = "", head: str = "") -> str:
    script = f"{quiz_origin}/static/embed.js"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<link rel="icon" href="data:,"><title>Clinic</title>{head}</head><body>'
        f'<h1>Offer</h1><div id="slot"><script src="{script}" data-clinic="{CLINIC}" '
        f"{attribute} async></script></div></body></html>"
    )


# For the whole session, like the clinic it creates: the engine tests here are grouped with
# other modules' by engine, and a module fixture set up again would serve from a new port that
# the clinic's stored origins do not list, so the quiz would refuse to be framed there.
@pytest.fixture(scope="session")
def ad_host(quiz_server) -> Iterator[str]:
    """A clinic site of its own (another site than the quiz) with one page per consent case."""
    from quiz import services

    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with quiz_server.app.app_context():
        if services.get_clinic(CLINIC) is None:
            services.create_clinic(CLINIC, services.ClinicFields("Ad Clinic", origins=[origin]))
        db.session.remove()
    quiz = quiz_server.origin
    pages = {
        "/granted.html": page(quiz, 'data-ad-consent="granted"'),
        "/denied.html": page(quiz, 'data-ad-consent="denied"'),
        "/absent.html": page(quiz),
        "/cmp-yes.html": page(quiz, head=cmp()),
        "/cmp-shown-then-yes.html": page(quiz, head=cmp(shown=True)),
        "/cmp-no-7.html": page(quiz, head=cmp(p7=False)),
        "/cmp-silent.html": page(quiz, head=cmp(delay=None)),
        "/cmp-late.html": page(quiz, head=cmp(delay=1500)),
        # The attribute is the page's own word and wins over its CMP.
        "/denied-over-cmp.html": page(quiz, 'data-ad-consent="denied"', head=cmp()),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path.split("?")[0])
            data = (body or "not found").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin
    server.shutdown()
    server.server_close()
    thread.join()


def frame_query(page_) -> dict[str, list[str]]:
    """What embed.js put in the quiz iframe's query string."""
    page_.wait_for_selector("#slot iframe[src]", state="attached")
    return parse_qs(urlsplit(page_.locator("#slot iframe").get_attribute("src")).query)


def stored(quiz_server, email: str) -> Lead:
    with quiz_server.app.app_context():
        lead = db.session.execute(select(Lead).filter_by(email=email)).scalar_one()
        db.session.expunge(lead)
        db.session.remove()
    return lead


def run(blocking_context, quiz_server, url: str, email: str) -> tuple[dict, Lead]:
    """Open a host page, take the quiz to a sent lead; return the frame's query and the lead."""
    questionnaire = runtime(quiz_server.app).questionnaire
    tab = blocking_context.new_page()
    try:
        tab.goto(url)
        query = frame_query(tab)
        frame = quiz_frame(tab)
        finish_quiz(tab, frame, answer_everything(questionnaire), email=email)
        calls = tab.evaluate("window.tcfCalls || []")
    finally:
        tab.close()
    return {"query": query, "tcf": calls}, stored(quiz_server, email)


def assert_no_click_ids(lead: Lead, host: str, path: str) -> None:
    assert lead.ad_consent is False
    assert all(getattr(lead, key) is None for key in CLICK_IDS)
    assert lead.page_url == f"{host}{path}?utm_source=google&x=1"
    assert lead.utm_source == "google"


@pytest.mark.parametrize("path", ["/granted.html", "/cmp-yes.html"])
def test_with_consent_the_click_ids_reach_the_lead(blocking_context, quiz_server, ad_host, path):
    email = f"granted{path.replace('/', '-').replace('.html', '')}@example.org"
    seen, lead = run(blocking_context, quiz_server, f"{ad_host}{path}?{QUERY}", email)
    assert seen["query"]["gclid"] == [GCLID] and seen["query"]["ad_consent"] == ["granted"]
    assert (lead.ad_consent, lead.gclid, lead.fbclid, lead.msclkid) == (True, GCLID, FBCLID, None)
    assert lead.page_url == f"{ad_host}{path}?{QUERY}"
    if path.startswith("/cmp"):
        assert "addEventListener:2" in seen["tcf"] and "removeEventListener:2" in seen["tcf"]


@pytest.mark.parametrize("path", ["/denied.html", "/absent.html", "/cmp-no-7.html"])
def test_without_consent_no_click_id_leaves_the_page_or_is_stored(
    blocking_context, quiz_server, ad_host, path
):
    email = f"refused{path.replace('/', '-').replace('.html', '')}@example.org"
    seen, lead = run(blocking_context, quiz_server, f"{ad_host}{path}?{QUERY}", email)
    query = seen["query"]
    assert not set(query) & {*CLICK_IDS, "ad_consent"}
    assert query["page_url"] == [f"{ad_host}{path}?utm_source=google&x=1"]
    assert_no_click_ids(lead, ad_host, path)


@pytest.mark.parametrize(
    ("path", "granted"),
    [
        ("/cmp-shown-then-yes.html", True),
        ("/cmp-silent.html", False),
        ("/cmp-late.html", False),
        ("/denied-over-cmp.html", False),
    ],
)
def test_a_cmp_is_waited_for_briefly_then_counts_as_no(blocking_context, ad_host, path, granted):
    tab = blocking_context.new_page()
    try:
        tab.goto(f"{ad_host}{path}?{QUERY}")
        query = frame_query(tab)
        # The frame is never held back for long: a silent CMP costs half a second at most.
        waited = tab.evaluate(
            "performance.getEntriesByType('resource')"
            ".filter(e => e.initiatorType === 'iframe').map(e => e.startTime)[0]"
        )
    finally:
        tab.close()
    assert ("gclid" in query) is granted and ("ad_consent" in query) is granted
    if not granted:
        assert "gclid" not in query["page_url"][0] and "fbclid" not in query["page_url"][0]
    if path in ("/cmp-silent.html", "/cmp-late.html"):
        assert waited is None or waited < 1400


@pytest.mark.parametrize(
    ("path", "granted"),
    [
        ("/granted.html", True),
        ("/absent.html", False),
        ("/cmp-yes.html", True),
        ("/cmp-no-7.html", False),
        ("/cmp-silent.html", False),
    ],
)
def test_every_engine_forwards_click_ids_only_with_consent(host_browser, ad_host, path, granted):
    """The host-side check in Chromium, Firefox and WebKit: what goes into the frame's query."""
    host_browser.open(f"{ad_host}{path}?{QUERY}")
    src = host_browser.wait_for(
        "document.querySelector('#slot iframe[src]') &&"
        " document.querySelector('#slot iframe').getAttribute('src')"
    )
    query = parse_qs(urlsplit(src).query)
    assert (query.get("gclid"), query.get("fbclid")) == (
        ([GCLID], [FBCLID]) if granted else (None, None)
    )
    assert ("ad_consent" in query) is granted
    expected = f"{ad_host}{path}?{QUERY if granted else 'utm_source=google&x=1'}"
    assert query["page_url"] == [expected] and query["utm_source"] == ["google"]
    assert host_browser.run_js("return window.pageErrors || []") == []
