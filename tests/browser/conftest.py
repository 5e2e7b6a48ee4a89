"""Browser harness: the quiz on http://localhost:P2, a clinic's site on http://127.0.0.1:P1.

An IP address and `localhost` are different sites, so the quiz is embedded cross-site, as on a
real clinic's website. Chromium runs from a fresh profile that blocks third-party cookies.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from quiz import create_app
from quiz.crypto import new_key
from quiz.extensions import db
from quiz.runtime import runtime
from tests.browser import engines
from tests.browser.engines import CHROMIUM_ARGS
from tests.servers import free_port

HOST_CLINIC = "alpha"
SECOND_CLINIC = "beta"
FOREIGN_CLINIC = "foreign"


def pytest_collection_modifyitems(items):
    """Mark everything in this folder as a browser test."""
    here = Path(__file__).parent
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; its absence skips locally and fails in CI."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI is set: browser tests must run")
        pytest.skip("chromium is not installed (apt install chromium); browser tests skipped")
    return path


def _probe_app(environ, start_response):
    """Test-only pages on the quiz's origin: a cross-site cookie probe and a message spoofer."""
    request = Request(environ)
    if request.path == "/_probe/set":
        response = Response(
            '<meta http-equiv="refresh" content="0;url=/_probe/check">', mimetype="text/html"
        )
        response.set_cookie("probe", "1", secure=True, samesite="None", httponly=True)
    elif request.path == "/_probe/check":
        seen = "yes" if request.cookies.get("probe") else "no"
        response = Response(f'<p id="result">{seen}</p>', mimetype="text/html")
    elif request.path == "/_probe/spoof":
        # Same origin as the quiz, but not the quiz's iframe: embed.js must ignore it.
        response = Response(
            "<script>parent.postMessage({type: 'quiz:height', h: 9999}, '*');"
            "parent.postMessage({type: 'quiz:page', event: 'lead'}, '*');"
            "document.title = 'sent';</script>",
            mimetype="text/html",
        )
    else:
        response = Response("not found", status=404)
    return response(environ, start_response)


@dataclass
class QuizServer:
    """The quiz app served on localhost in a thread."""

    app: object
    origin: str
    set_cookie_responses: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def ports() -> tuple[int, int]:
    """(host page port, quiz port)."""
    return free_port(), free_port()


@pytest.fixture(scope="session")
def host_origin(ports) -> str:
    """The clinic website's origin."""
    return f"http://127.0.0.1:{ports[0]}"


@pytest.fixture(scope="session")
def quiz_server(ports, host_origin, tmp_path_factory) -> Iterator[QuizServer]:
    """Serve the real app (fresh SQLite database, three clinics) on http://localhost:P2."""
    folder = tmp_path_factory.mktemp("quiz-server")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'quiz.db'}",
            "SECRET_KEY": "browser-test-secret",
            "DATA_ENCRYPTION_KEYS": [new_key()],
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_URL": None,
            # The anti-bot minimum fill time would only slow the browser down here.
            "QUIZ_MIN_FILL_SECONDS": 0,
        },
        instance_path=str(folder / "instance"),
    )
    from quiz import services

    with app.app_context():
        db.create_all()
        services.create_clinic(
            HOST_CLINIC, services.ClinicFields("Alpha Skin Clinic", origins=[host_origin])
        )
        services.create_clinic(
            SECOND_CLINIC, services.ClinicFields("Beta Clinic", origins=[host_origin])
        )
        services.create_clinic(
            FOREIGN_CLINIC,
            services.ClinicFields("Elsewhere Clinic", origins=["https://elsewhere.example"]),
        )
        # The demo clinic lists no origin of this server: only 'self' lets / frame it.
        services.create_clinic(
            "demo", services.ClinicFields("Demo Aesthetic Clinic", origins=["https://demo.example"])
        )

    server_state = QuizServer(app=app, origin=f"http://localhost:{ports[1]}")

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_probe/"):
            return _probe_app(environ, start_response)

        def recording_start(status, headers, *args):
            # Any cookie the quiz itself tries to set is recorded, whatever the browser keeps.
            for name, value in headers:
                if name.lower() == "set-cookie":
                    server_state.set_cookie_responses.append(f"{environ.get('PATH_INFO')}: {value}")
            return start_response(status, headers, *args)

        return app(environ, recording_start)

    server = make_server("127.0.0.1", ports[1], wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server_state
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


def host_pages(quiz_origin: str) -> dict[str, str]:
    """The clinic website's pages, by path."""
    script = f"{quiz_origin}/static/embed.js"
    # Classic WebDriver sees no uncaught errors, so the host page keeps its own.
    recorder = """<script>
window.pageErrors = [];
window.addEventListener("error", function (e) { window.pageErrors.push(String(e.message)); });
window.dataLayer = [];
window.quizEvents = [];
["quiz:start", "quiz:step", "quiz:complete", "quiz:lead"].forEach(function (name) {
  document.addEventListener(name, function (e) {
    window.quizEvents.push({type: e.type, detail: e.detail, bubbles: e.bubbles,
      slot: e.target.parentElement && e.target.parentElement.id});
  });
});
</script>"""
    # Records everything the quiz could hand the host page, serialised when it happens:
    # every message this window receives, every CustomEvent dispatched anywhere on the page
    # and every dataLayer push.
    everything = """<script>
window.hostMessages = [];
window.addEventListener("message", function (e) {
  window.hostMessages.push({origin: e.origin, data: JSON.stringify(e.data)});
});
window.hostEvents = [];
var dispatch = EventTarget.prototype.dispatchEvent;
EventTarget.prototype.dispatchEvent = function (event) {
  if (event instanceof CustomEvent) {
    window.hostEvents.push({type: event.type, detail: JSON.stringify(event.detail)});
  }
  return dispatch.apply(this, arguments);
};
window.dataLayer = [];
window.dataLayerPushes = [];
var push = window.dataLayer.push;
window.dataLayer.push = function () {
  for (var i = 0; i < arguments.length; i++) {
    window.dataLayerPushes.push(JSON.stringify(arguments[i]));
  }
  return push.apply(this, arguments);
};
</script>"""
    head = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<link rel="icon" href="data:,"><title>Clinic</title></head><body>'
    )
    return {
        "/host.html": head
        + recorder
        + "<h1>Alpha Skin Clinic</h1><p>Our treatments.</p>"
        + f'<div id="slot"><script src="{script}" data-clinic="{HOST_CLINIC}" async></script>'
        + "</div><footer style='height:1500px'>Footer</footer></body></html>",
        "/record.html": head
        + everything
        + f'<div id="slot"><script src="{script}" data-clinic="{HOST_CLINIC}" async></script>'
        + "</div></body></html>",
        "/two.html": head
        + recorder
        + '<div id="slot-a"></div>'
        + f'<script src="{script}" data-clinic="{HOST_CLINIC}" data-target="#slot-a" async>'
        + "</script>"
        + f'<div id="slot-b"><script src="{script}" data-clinic="{SECOND_CLINIC}"'
        + ' data-lang="en" async></script></div></body></html>',
        # The widget below the fold in a box with no width yet (a tab or accordion a site
        # lays out later): the frame's first layout has a viewport 0 px wide.
        "/unsized.html": head
        + '<div style="height:900px">Our treatments.</div>'
        + '<div id="slot" style="width:0">'
        + f'<script src="{script}" data-clinic="{HOST_CLINIC}" async></script></div>'
        + "</body></html>",
        "/foreign.html": head
        + f'<div id="slot"><script src="{script}" data-clinic="{FOREIGN_CLINIC}" async>'
        + "</script></div></body></html>",
        "/probe.html": head
        + f'<iframe id="probe" src="{quiz_origin}/_probe/set"></iframe></body></html>',
        "/spoof.html": head
        + recorder
        + f'<div id="slot"><script src="{script}" data-clinic="{HOST_CLINIC}" async></script>'
        + f'</div><iframe id="spoof" src="{quiz_origin}/_probe/spoof"></iframe>'
        # Counts the spoofer's messages: once both arrived, embed.js has seen them too.
        + "<script>window.spoofMessages = 0; window.addEventListener('message', function (e) {"
        + " if (e.source === document.getElementById('spoof').contentWindow)"
        + " window.spoofMessages++; });"
        + "window.postMessage({type: 'quiz:height', h: 5000}, '*');</script>"
        + "</body></html>",
    }


# The clinic with a branded launcher (its colours travel in the snippet).
BRANDED_CLINIC = "violet"
BRANDED_COLOURS = {"primary": "#5a2d82", "on_primary": "#ffffff"}
# Records, on the host page, every layout shift (from the first paint on) and every quiz event.
SHIFT_RECORDER = """<script>
window.shifts = [];
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    window.shifts.push({value: e.value, input: e.hadRecentInput, at: e.startTime});
  });
}).observe({type: "layout-shift", buffered: true});
</script>"""
EVENT_RECORDER = """<script>
window.dataLayer = [];
window.quizEvents = [];
["quiz:start", "quiz:step", "quiz:complete", "quiz:lead"].forEach(function (name) {
  document.addEventListener(name, function (e) {
    window.quizEvents.push({type: e.type, detail: e.detail, bubbles: e.bubbles,
      from: e.target.getAttribute("data-quiz-clinic") || e.target.className});
  });
});
window.pageErrors = [];
window.addEventListener("error", function (e) { window.pageErrors.push(String(e.message)); });
</script>"""
# Text a visitor reads around the widget: the page must be taller than the window.
READING = "".join(
    f"<p>Paragraph {n} about our treatments, our team and how a consultation works.</p>"
    for n in range(40)
)


def embed_mode_pages(quiz_server: QuizServer, host_origin: str) -> dict[str, str]:
    """Host pages for embed.js's modes, each built from the snippet the back office prints."""
    from quiz import services
    from quiz.database import write_transaction
    from quiz.snippets import EmbedOptions

    with quiz_server.app.app_context():
        if services.get_clinic(BRANDED_CLINIC) is None:
            services.create_clinic(
                BRANDED_CLINIC, services.ClinicFields("Violet Clinic", origins=[host_origin])
            )
            with write_transaction():
                services.get_clinic(BRANDED_CLINIC).branding = dict(BRANDED_COLOURS)

        def snippet(slug: str, **options) -> str:
            return services.embed_snippet(slug, EmbedOptions(**options), base=quiz_server.origin)

        inline = snippet(HOST_CLINIC)
        popup = snippet(HOST_CLINIC, mode="popup")
        timed = snippet(HOST_CLINIC, mode="popup", open_after=0, show_once=True)
        leaving = snippet(HOST_CLINIC, mode="popup", open_on_exit=True, show_once=True)
        button = snippet(BRANDED_CLINIC, mode="button")
        second_popup = snippet(SECOND_CLINIC, mode="popup")
        left = snippet(BRANDED_CLINIC, mode="button", position="left")

    def page(body: str, head: str = "") -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>Clinic</title>{head}{EVENT_RECORDER}'
            f"</head><body>{body}</body></html>"
        )

    before = '<h1>Alpha Skin Clinic</h1><p><button type="button" id="before">Call us</button></p>'
    return {
        "/inline.html": page(
            f'{before}<p>Our treatments.</p><div id="slot">{inline}</div>{READING}',
            SHIFT_RECORDER,
        ),
        "/popup.html": page(
            f'{before}<p><a id="opener" href="/elsewhere" data-quiz-open="{HOST_CLINIC}">'
            f"Am I suitable?</a></p>{READING}{popup}"
        ),
        "/timed.html": page(f"{before}{READING}{timed}"),
        "/leaving.html": page(f"{before}{READING}{leaving}"),
        "/button.html": page(f"{before}{READING}{button}"),
        "/several.html": page(
            f'{before}<div id="slot">{inline}</div>'
            f'<p><a id="opener" href="/elsewhere" data-quiz-open="{SECOND_CLINIC}">Ask beta</a></p>'
            f"{READING}{second_popup}{left}"
        ),
    }


@pytest.fixture(scope="session")
def host_server(quiz_server, ports, host_origin) -> Iterator[str]:
    """Serve the clinic website's static pages on http://127.0.0.1:P1; yield its origin."""
    pages = {**host_pages(quiz_server.origin), **embed_mode_pages(quiz_server, host_origin)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path.split("?")[0])
            status = 200 if body is not None else 404
            data = (body or "not found").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", ports[0]), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield host_origin
    server.shutdown()
    server.server_close()
    thread.join()


def _require(lack: engines.Missing | None) -> None:
    """Skip for a browser this machine lacks, or fail when CI is set (as for chromium)."""
    if lack is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{lack.reason()}, and CI is set: browser tests must run")
    pytest.skip(f"{lack.reason()}; its browser tests skipped")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session", params=engines.ENGINES)
def engine_browser(request, host_server) -> Iterator[engines.HostBrowser]:
    """One browser of each engine for the session, started when its first test needs it."""
    _require(engines.missing(request.param))
    if request.param == "chromium":
        browser = engines.PlaywrightBrowser("chromium", request.getfixturevalue("blocking_context"))
    elif request.param == "firefox":
        browser = engines.start_firefox()
    else:
        browser = engines.start_webkit()
    yield browser
    browser.close()


@pytest.fixture
def host_browser(engine_browser, request, tmp_path) -> Iterator[engines.HostBrowser]:
    """The engine's browser for one test (run once per engine); a failure saves a screenshot."""
    yield engine_browser
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / f"{engine_browser.name}.png"
        with contextlib.suppress(Exception):  # the browser may be what broke
            shot.write_bytes(engine_browser.screenshot())
            report.sections.append(("screenshot", str(shot)))


def _write_profile(folder: Path, block_third_party: bool) -> Path:
    (folder / "Default").mkdir(parents=True)
    mode = 1 if block_third_party else 0
    prefs = {"profile": {"cookie_controls_mode": mode, "block_third_party_cookies": bool(mode)}}
    (folder / "Default" / "Preferences").write_text(json.dumps(prefs))
    return folder


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright driver for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch(playwright, chromium_path: str, profile: Path, *, block_third_party: bool):
    """Start Chromium on a fresh profile blocking (or, as a control, allowing) 3rd-party cookies."""
    return playwright.chromium.launch_persistent_context(
        str(_write_profile(profile, block_third_party)),
        executable_path=chromium_path,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1000, "height": 700},
        # As in every engine (engines.py): after a step embed.js may scroll the host page back
        # to the quiz's top, smoothly without this, and a click during that scroll lands
        # wherever the page has moved to. A test of the motion itself asks for it.
        reduced_motion="reduce",
    )


@pytest.fixture(scope="session")
def blocking_context(playwright_instance, chromium_path, host_server, tmp_path_factory):
    """A browser whose profile blocks third-party cookies, as Safari and Firefox do."""
    context = launch(
        playwright_instance,
        chromium_path,
        tmp_path_factory.mktemp("profile-block"),
        block_third_party=True,
    )
    yield context
    context.close()


@dataclass
class Watched:
    """A page and what it did: uncaught errors, console messages, request URLs."""

    page: object
    errors: list[str]
    console: list[str]
    requests: list[str]


def watch(page) -> Watched:
    """Record a page's uncaught errors, console output and every request it makes."""
    watched = Watched(page, [], [], [])
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    page.on("console", lambda msg: watched.console.append(msg.text))
    page.on("request", lambda req: watched.requests.append(req.url))
    return watched


@pytest.fixture
def browser_page(blocking_context) -> Iterator[Watched]:
    """A fresh page in the cookie-blocking browser, closed after the test."""
    page = blocking_context.new_page()
    yield watch(page)
    page.close()


# Accessibility harness: axe-core from node_modules, a plain browser with one context per
# test, clinics whose journeys reach every screen, and a back-office account.

AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
A11Y_BEFORE = "a11y-before"
A11Y_BRANDED = "a11y-branded"
DARK_BRANDING = {"primary": "#5a2d82", "on_primary": "#ffffff"}
A11Y_ADMIN = ("a11y-admin@clinic.example", "Accessible-admin-2024")


@pytest.fixture(scope="session")
def axe_path() -> str:
    """axe-core's browser build from npm; its absence skips locally and fails in CI."""
    if not AXE_PATH.is_file():
        reason = "axe-core is not installed (run `npm ci` or `make test`)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI is set: accessibility tests must run")
        pytest.skip(f"{reason}; axe accessibility tests skipped")
    return str(AXE_PATH)


@pytest.fixture(scope="session")
def a11y_browser(playwright_instance, chromium_path):
    """One Chromium for the accessibility tests; each test gets its own context."""
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def a11y_context(a11y_browser, a11y_setup):
    """A fresh browser context (1000x700) closed after the test. It bypasses the page's CSP
    only so that axe can be injected as an inline script; keyboard tests use their own."""
    context = a11y_browser.new_context(
        viewport={"width": 1000, "height": 700}, bypass_csp=True, reduced_motion="reduce"
    )
    yield context
    context.close()


@pytest.fixture(scope="session")
def a11y_setup(quiz_server, host_origin) -> QuizServer:
    """Add a plain clinic asking for contact before the result (with booking and privacy
    links), a darkly branded clinic asking after it, and an admin account."""
    from quiz import services
    from quiz.database import write_transaction
    from quiz.services.users import create_user

    app = quiz_server.app
    with app.app_context():
        if services.get_clinic(A11Y_BEFORE) is None:
            services.create_clinic(
                A11Y_BEFORE,
                services.ClinicFields(
                    "Clear Skin Clinic",
                    origins=[host_origin],
                    contact_timing="before",
                    booking_url="https://clear.example/book",
                ),
            )
            services.create_clinic(
                A11Y_BRANDED, services.ClinicFields("Violet Clinic", origins=[host_origin])
            )
            with write_transaction():
                services.get_clinic(A11Y_BEFORE).privacy_url = "https://clear.example/privacy"
                services.get_clinic(A11Y_BRANDED).branding = dict(DARK_BRANDING)
            create_user(A11Y_ADMIN[0], "admin", A11Y_ADMIN[1])
            _store_lead(app, services.get_clinic(A11Y_BEFORE))
    return quiz_server


def _store_lead(app, clinic) -> None:
    """Store one lead through the quiz's own service, so the back office has a lead to show."""
    from quiz import services
    from quiz.scoring import score
    from quiz.validation import Consent, Contact
    from tests.helpers import answer_everything

    questionnaire = runtime(app).questionnaire
    answers = answer_everything(questionnaire, concerns=["cellulite", "pigmentation"])
    services.record_assessment(
        clinic,
        score(questionnaire, answers),
        contact=Contact("Ada Lovelace", "ada@example.org", "+44 20 7946 0000"),
        consent=Consent(True, True, False),
        source={"utm_source": "news"},
        language="en",
        submission_id="a11y-lead-1",
    )
