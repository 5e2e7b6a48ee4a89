"""Security properties across route classes: headers, framing, caching, junk and script input."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from tests.helpers import state_at_result, state_token
from tests.strategies import hostile_text

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _check_common(response, *, https: bool) -> str:
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "*" not in script_src
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"strict-origin-when-cross-origin", "no-referrer"}
    assert "camera=()" in headers["Permissions-Policy"]
    assert ("Strict-Transport-Security" in headers) is https
    return csp


@pytest.mark.parametrize("https", [False, True])
def test_every_route_class_sends_the_header_baseline(app, client, make_clinic, https):
    make_clinic("acme", origins=["https://acme.example"])
    base = "https://quiz.example" if https else "http://localhost"
    quiz = runtime(app).questionnaire
    framed = {
        "/embed/acme": 200,
        f"/embed/acme/content/{quiz.content[0].id}": 200,
    }
    unframed = {
        "/admin/login": 200,
        "/api/v1/quiz?clinic=acme": 200,
        "/api/v1/openapi.json": 200,
        "/healthz": 200,
        "/static/css/quiz.css": 200,
        "/no-such-page": 404,
    }
    for path, status in {**framed, **unframed}.items():
        response = client.get(path, base_url=base)
        assert response.status_code == status, path
        csp = _check_common(response, https=https)
        if path in framed:
            assert "frame-ancestors 'self' https://acme.example" in csp, path
            assert "X-Frame-Options" not in response.headers, path
        else:
            assert "frame-ancestors 'none'" in csp, path
            assert response.headers["X-Frame-Options"] == "DENY", path
        response.close()


def test_pages_with_personal_data_are_never_stored_by_caches(client, make_clinic, questionnaire):
    make_clinic("acme")
    intro = client.get("/embed/acme")
    token = state_token(intro.get_data(as_text=True))
    step = client.post("/embed/acme/step", data={"state": token, "action": "start"})
    assert step.headers["Cache-Control"] == "no-store"
    assert client.get("/admin/login").headers["Cache-Control"] == "no-store"


def test_the_visitor_path_sets_no_cookie(client, make_clinic):
    make_clinic("acme")
    intro = client.get("/embed/acme")
    token = state_token(intro.get_data(as_text=True))
    step = client.post("/embed/acme/step", data={"state": token, "action": "start"})
    for response in (intro, step, client.get("/api/v1/quiz?clinic=acme")):
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("field", ["name", "email", "phone"])
def test_script_in_any_contact_field_comes_back_as_text(
    app, client, make_clinic, questionnaire, field
):
    app.config["QUIZ_MIN_FILL_SECONDS"] = 0
    make_clinic("acme")
    token = state_at_result(client, questionnaire, "acme")
    data = {
        "state": token,
        "name": "Ada",
        "email": "not an address",  # keeps the form coming back, with every value shown
        "consent_contact": "y",
        "consent_health": "y",
        field: XSS,
    }
    page = client.post("/embed/acme/contact", data=data).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    assert db.session.execute(db.select(Lead)).first() is None


# Lone surrogates too: the body below sends them as the invalid UTF-8 bytes they encode to.
_junk_text = hostile_text(300)
_junk_form = st.dictionaries(
    st.sampled_from(
        [
            "action",
            "name",
            "email",
            "phone",
            "contact_time",
            "consent_contact",
            "consent_health",
            "marketing",
            "send_copy",
            "website",
            "q-age",
            "q-concerns",
            "q-goal",
            "q-unknown",
        ]
    ),
    st.one_of(_junk_text, st.lists(_junk_text, max_size=4)),
    max_size=10,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(form=_junk_form, path=st.sampled_from(["step", "contact"]))
def test_junk_in_every_form_field_never_gives_a_server_error(
    app, client, make_clinic, questionnaire, form, path
):
    if db.session.execute(db.select(db.text("1")).select_from(db.text("clinics"))).first() is None:
        make_clinic("acme")
    token = state_at_result(client, questionnaire, "acme") if path == "contact" else None
    if token is None:
        page = client.get("/embed/acme").get_data(as_text=True)
        token = state_token(page)
    body = urlencode({"state": token, **form}, doseq=True, encoding="utf-8", errors="surrogatepass")
    response = client.post(
        f"/embed/acme/{path}", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500, response.get_data(as_text=True)[-500:]
    assert "Traceback" not in response.get_data(as_text=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=st.text(max_size=500))
def test_any_state_token_is_refused_cleanly(client, make_clinic, token):
    if db.session.execute(db.select(db.text("1")).select_from(db.text("clinics"))).first() is None:
        make_clinic("acme")
    response = client.post("/embed/acme/step", data={"state": token, "action": "next"})
    assert response.status_code == 400
    # The same for a step's address, whose token is sealed rather than only signed.
    assert client.get("/embed/acme/step", query_string={"state": token}).status_code == 400


def test_every_visitor_page_after_the_intro_is_never_stored_by_caches(
    app, client, make_clinic, questionnaire
):
    app.config["QUIZ_MIN_FILL_SECONDS"] = 0
    make_clinic("acme")
    contact = {"name": "Ada", "email": "ada@example.com", "consent_contact": "y"}
    token = state_at_result(client, questionnaire, "acme")
    refused = client.post("/embed/acme/contact", data={"state": token, **contact})
    thanks = client.post(
        "/embed/acme/contact", data={"state": token, **contact, "consent_health": "y"}
    )
    link = html.unescape(re.search(r'href="(/embed/acme/forget/[^"]+)"', thanks.text).group(1))
    intro = client.get("/embed/acme").get_data(as_text=True)
    moved = client.post(
        "/embed/acme/step",
        data={"state": state_token(intro), "action": "start"},
    )
    pages = {
        "step answered": moved,
        "step address": client.get(moved.headers["Location"]),
        "refused contact": refused,
        "thanks": thanks,
        "erasure question": client.get(link),
        "erasure": client.post(link.split("?")[0]),
        "tampered step": client.post("/embed/acme/step", data={"state": "x"}),
    }
    assert refused.status_code == 422 and thanks.status_code == 200
    for name, response in pages.items():
        assert response.headers.get("Cache-Control") == "no-store", name
    # The intro and the readings are the same for everyone: caches may keep them.
    for path in ("/embed/acme", f"/embed/acme/content/{questionnaire.content[0].id}"):
        assert "no-store" not in client.get(path).headers.get("Cache-Control", ""), path
