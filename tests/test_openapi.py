"""The OpenAPI document is valid, covers exactly the API's routes, and real answers match it."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from sqlalchemy import create_engine

from quiz import validation
from quiz.api import bp
from quiz.extensions import db
from quiz.openapi import build_document
from quiz.services import tokens
from tests.helpers import answer_everything, validator


def response_schema(document: dict, path: str, method: str, status: int) -> str:
    """Return the component name the document promises for that answer."""
    response = document["paths"][path][method]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


def check(document, path, method, response):
    """Assert that a real response is documented and matches its schema."""
    name = response_schema(document, path, method, response.status_code)
    validator(document, name).validate(response.get_json())


def test_every_component_schema_is_valid_json_schema():
    document = build_document()
    assert document["openapi"].startswith("3.1")
    for name, schema in document["components"]["schemas"].items():
        assert isinstance(schema, dict), name
        Draft202012Validator.check_schema(schema)


def test_document_lists_exactly_the_routes_of_the_api_blueprint(app):
    prefix = bp.url_prefix
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)[len(prefix) :]
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD"}}
    documented = {
        (path, method)
        for path, operations in build_document()["paths"].items()
        for method in operations
    }
    assert served == documented


def test_openapi_route_serves_the_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == build_document()


def test_quiz_answers_match_the_document(client, make_clinic):
    make_clinic("demo")
    document = build_document()
    check(document, "/quiz", "get", client.get("/api/v1/quiz?clinic=demo"))
    check(document, "/quiz", "get", client.get("/api/v1/quiz?clinic=nobody"))


def test_assessment_answers_match_the_document(client, make_clinic, questionnaire):
    make_clinic("demo")
    document = build_document()
    answers = answer_everything(questionnaire)
    request = {
        "clinic": "demo",
        "language": "en",
        "answers": answers,
        "contact": {"name": "Ada", "email": "ada@example.com", "contact_time": "morning"},
        "consent": {"contact": True, "health_data": True, "marketing": False},
        "source": {"utm_source": "ads", "page_url": "https://site.example/"},
    }
    validator(document, "AssessmentRequest").validate(request)
    sent = [
        client.post("/api/v1/assessments", json=request),
        client.post("/api/v1/assessments", json={"clinic": "demo", "answers": answers}),
        client.post("/api/v1/assessments", data=b"{oops", content_type="application/json"),
        client.post("/api/v1/assessments", json={"clinic": "nobody", "answers": answers}),
        client.post("/api/v1/assessments", json={"clinic": "demo", "answers": {"x": 1}}),
        client.post("/api/v1/assessments", json={"clinic": "demo", "pad": "x" * 70_000}),
    ]
    assert [r.status_code for r in sent] == [201, 200, 400, 404, 422, 413]
    for response in sent:
        check(document, "/assessments", "post", response)


@pytest.fixture
def token(make_clinic):
    return tokens.create_token(make_clinic("demo"))


def test_leads_answers_match_the_document(client, token, make_lead, questionnaire):
    from quiz.services import get_clinic

    clinic = get_clinic("demo")
    make_lead(clinic, source={"utm_source": "ads", "page_url": "https://site.example/x"})
    make_lead(clinic, marketing=True, phone="+44 1234 567890")
    document = build_document()
    auth = {"Authorization": f"Bearer {token}"}
    page = client.get("/api/v1/leads?limit=1", headers=auth)
    assert page.status_code == 200
    check(document, "/leads", "get", page)
    assert page.get_json()["next_cursor"]
    check(document, "/leads", "get", client.get("/api/v1/leads"))
    check(document, "/leads", "get", client.get("/api/v1/leads?limit=0", headers=auth))


@contextmanager
def database_unreachable(app):
    """Swap the app's engine for one on a path that cannot be opened (a dead server)."""
    db.session.remove()
    engines = app.extensions["sqlalchemy"]._app_engines[app]
    original = engines[None]
    engines[None] = create_engine("sqlite:////nonexistent-dir/quiz.db")
    try:
        yield
    finally:
        db.session.remove()
        engines[None].dispose()
        engines[None] = original


def test_every_operation_on_the_database_documents_its_503(app, client, token, questionnaire):
    document = build_document()
    auth = {"Authorization": f"Bearer {token}"}
    body = {"clinic": "demo", "answers": answer_everything(questionnaire)}
    with database_unreachable(app):
        sent = {
            ("/quiz", "get"): client.get("/api/v1/quiz?clinic=demo"),
            ("/assessments", "post"): client.post("/api/v1/assessments", json=body),
            ("/leads", "get"): client.get("/api/v1/leads", headers=auth),
        }
    for (path, method), response in sent.items():
        assert response.status_code == 503, (path, response.get_data(as_text=True))
        check(document, path, method, response)


# --------------------------------------------------------------------------- patterns


def test_the_plain_text_pattern_refuses_exactly_what_text_problem_refuses():
    # Every plane, not only those the pattern is built from: a new Unicode version that
    # adds a control elsewhere fails here.
    plain = re.compile(validation.PLAIN_TEXT_PATTERN)
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        character = chr(code)
        refused = validation.text_problem(f"a{character}b") is not None
        assert (plain.match(f"a{character}b") is None) == refused, hex(code)
    assert re.search(validation.ENCODED_WORD_PATTERN, "x=?utf-8?q?y?=z")
    assert validation.text_problem("x=?utf-8?q?y?=z") is not None


# Found by a run of the property test below: a domain label with hyphens third and fourth
# (RFC 5890 keeps those for Punycode), which email-validator refuses.
@pytest.mark.parametrize("email", ["0@00--0.AA", "0@0---0.AA", "ada@ab--cd.example.org"])
def test_the_email_pattern_refuses_what_the_check_refuses_in_domain_labels(email):
    _, errors = validation.check_contact({"name": "Ada", "email": email, "phone": "0000000"})
    assert "contact.email" in errors
    assert re.fullmatch(validation.EMAIL_PATTERN, email) is None


@settings(max_examples=100, deadline=None)
@given(
    name=st.from_regex(validation.NON_BLANK_TEXT_PATTERN, fullmatch=True),
    email=st.from_regex(validation.EMAIL_PATTERN, fullmatch=True),
    phone=st.from_regex(validation.PHONE_PATTERN, fullmatch=True),
)
def test_what_the_contact_patterns_match_the_contact_check_accepts(name, email, phone):
    assume(not re.search(validation.ENCODED_WORD_PATTERN, name))
    assume(not re.search(validation.SPECIAL_USE_DOMAIN_PATTERN, email))
    assume(len(email) <= 254 and len(name) <= 200 and len(phone) <= validation.PHONE_MAX)
    _, errors = validation.check_contact({"name": name, "email": email, "phone": phone})
    assert errors == {}


@settings(max_examples=100, deadline=None)
@given(url=st.from_regex(validation.PAGE_URL_PATTERN, fullmatch=True))
def test_what_the_page_url_pattern_matches_the_source_check_accepts(url):
    assume(not re.search(validation.ENCODED_WORD_PATTERN, url) and len(url) <= 1000)
    assert validation.check_source({"page_url": url})[1] == {}


@pytest.mark.parametrize(
    "address", ["a@localhost", "a@b.test", "a@b.home.arpa", "a@X.INVALID", "a@b.Onion"]
)
def test_the_special_use_domain_pattern_names_what_the_email_check_refuses(address):
    assert re.search(validation.SPECIAL_USE_DOMAIN_PATTERN, address)
    assert validation.check_email(address)[0] is None


# --------------------------------------------------------------------------- schemathesis

# Where a hostile text goes into a generated request: body fields, the key, query values.
HOSTILE_TARGETS = {
    "/quiz": [("query", "clinic"), ("query", "lang")],
    "/assessments": [
        ("body", "clinic"),
        ("body", "language"),
        ("body", "contact", "name"),
        ("body", "contact", "email"),
        ("body", "contact", "phone"),
        ("body", "source", "utm_source"),
        ("body", "source", "page_url"),
        ("headers", "Idempotency-Key"),
    ],
    "/leads": [("query", "since"), ("query", "limit"), ("query", "cursor")],
}
# Schemathesis asks for gzip as requests does, but its WSGI transport does not unpack what
# Flask-Compress sends back; the answers are the same uncompressed.
_IDENTITY = {"Accept-Encoding": "identity"}


def _checks(*extra):
    """The checks every generated request gets, named so an upgrade cannot drop one."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi import checks

    return [
        not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_headers_conformance,
        checks.response_schema_conformance,
        *extra,
    ]


def _operations(app):
    """The document's operations as schemathesis reads them from the app (no preflights)."""
    import schemathesis

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(o.method.lower(), o.path) for o in operations} >= {
        ("get", "/quiz"),
        ("post", "/assessments"),
        ("get", "/leads"),
    }
    return [o for o in operations if o.method.upper() != "OPTIONS"]


def _fuzz(strategy, check, max_examples: int) -> None:
    """Run `check` on `max_examples` values of `strategy`, with no example database."""
    from hypothesis import HealthCheck, given, settings

    settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(given(value=strategy)(check))()


@dataclass
class Live:
    """What a schema cannot state about the running app: a clinic, a token, the answers
    the questionnaire takes (GET /quiz lists them) and a signed cursor."""

    auth: dict[str, str]
    answers: dict
    cursor: str

    def fill(self, case):
        """Replace a generated clinic, answers and cursor by real ones (an empty one stays)."""
        if case.operation.path == "/assessments" and isinstance(case.body, dict):
            if case.body.get("clinic"):
                case.body["clinic"] = "demo"
            case.body["answers"] = self.answers
            key = (case.headers or {}).get("Idempotency-Key")
            if key:
                # A key promises the same request again: a fresh one for each case.
                case.headers["Idempotency-Key"] = f"{key[:60]}{uuid.uuid4().hex}"
        for name, value in (("clinic", "demo"), ("cursor", self.cursor)):
            if (case.query or {}).get(name):
                case.query[name] = value
        return case

    def headers(self, operation) -> dict[str, str]:
        """The headers to send besides the case's own."""
        return {**_IDENTITY, **(self.auth if operation.path == "/leads" else {})}


@pytest.fixture
def live(app, make_clinic, make_lead, questionnaire) -> Live:
    make_clinic("demo", origins=["https://site.example"])
    other = make_clinic("other")
    auth = {"Authorization": f"Bearer {tokens.create_token(other)}"}
    for _ in range(2):
        make_lead(other)
    with app.test_client() as client:
        cursor = client.get("/api/v1/leads?limit=1", headers=auth).get_json()["next_cursor"]
    return Live(auth, answer_everything(questionnaire), cursor)


def _put(case, target: tuple[str, ...], text: str, lead: bool) -> None:
    """Put `text` at `target` in a case, with valid contact and consents when `lead`."""
    where, *path = target
    if where == "body":
        if not isinstance(case.body, dict):
            return
        if lead:
            case.body["contact"] = {"name": "Ada Lovelace", "email": "ada@example.com"}
            case.body["consent"] = {"contact": True, "health_data": True}
        container = case.body
        for key in path[:-1]:
            if not isinstance(container.get(key), dict):
                container[key] = {}
            container = container[key]
    else:
        container = getattr(case, where)
        if container is None:
            container = {}
            setattr(case, where, container)
    # A page URL must look like one to get past the URL check to the database.
    container[path[-1]] = f"https://site.example/{text}" if path[-1] == "page_url" else text


def _hostile(operation, live: Live):
    """A filled case, and None or (where, hostile text, with a lead) to put into it."""
    from hypothesis import strategies as st

    from tests.strategies import header_text, hostile_text

    texts = {
        # A URL cannot carry a lone surrogate at all; test_api_leads sends its bytes.
        "query": hostile_text().map(
            lambda text: "".join(c for c in text if not "\ud800" <= c <= "\udfff")
        ),
        "headers": header_text(),
        "body": hostile_text(),
    }
    # Mostly hostile: one case in as many as there are targets is left as generated.
    targets = st.sampled_from([*HOSTILE_TARGETS.get(operation.path, []), None])
    change = targets.flatmap(
        lambda target: (
            st.none()
            if target is None
            else st.tuples(st.just(target), texts[target[0]], st.booleans())
        )
    )
    return st.tuples(operation.as_strategy().map(live.fill), change)


def _send_hostile(headers):
    def check(value):
        case, change = value
        if change is not None:
            _put(case, *change)
        case.call_and_validate(headers=headers, checks=_checks())

    return check


def _send(headers, checks):
    def check(value):
        value.call_and_validate(headers=headers, checks=checks)

    return check


def test_generated_and_hostile_requests_get_documented_answers(app, live):
    """Schemathesis's requests, most with a hostile text put in, get documented answers.

    The hostile texts (lone surrogates, NUL, digits other than 0-9, separators) are what a
    schema's strings never hold; whatever comes in, the answer is documented and no 5xx.
    """
    for operation in _operations(app):
        _fuzz(_hostile(operation, live), _send_hostile(live.headers(operation)), 150)


def test_every_schema_valid_request_is_accepted(app, live):
    """No request the document allows is refused: a 4xx only as documented (404 for an
    unknown clinic, 409, 429), never a 400, 413 or 422."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    for operation in _operations(app):
        checks = _checks(positive_data_acceptance)
        _fuzz(operation.as_strategy().map(live.fill), _send(live.headers(operation), checks), 60)
