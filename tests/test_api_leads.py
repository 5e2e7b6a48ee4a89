"""API tokens, the `token` commands, and the pull API of a clinic's leads."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quiz.extensions import db
from quiz.models import ApiToken, Lead
from quiz.services import tokens
from tests.strategies import hostile_text, iso_times, whole_number_texts


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clinic(make_clinic):
    return make_clinic("demo")


@pytest.fixture
def token(clinic):
    return tokens.create_token(clinic)


def set_created(lead: Lead, when: datetime) -> None:
    lead_id = lead.id
    db.session.rollback()
    db.session.get(Lead, lead_id).created_at = when
    db.session.commit()


# --------------------------------------------------------------------------- tokens


def test_token_is_stored_only_as_its_hash(clinic, token):
    record = db.session.execute(db.select(ApiToken)).scalar_one()
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in record.token_hash
    assert len(token) > 40


def test_authenticate_returns_the_clinic_and_notes_last_use(clinic, token):
    assert tokens.authenticate(token).id == clinic.id
    first_use = db.session.execute(db.select(ApiToken)).scalar_one().last_used_at
    assert first_use is not None
    tokens.authenticate(token)
    again = db.session.execute(db.select(ApiToken)).scalar_one().last_used_at
    assert again == first_use, "last_used_at is written at most once a minute"


def test_last_use_is_updated_after_a_minute(clinic, token):
    tokens.authenticate(token)
    record = db.session.execute(db.select(ApiToken)).scalar_one()
    record.last_used_at = datetime.now(UTC) - timedelta(minutes=2)
    db.session.commit()
    tokens.authenticate(token)
    record = db.session.execute(db.select(ApiToken)).scalar_one()
    assert datetime.now(UTC) - record.last_used_at < timedelta(minutes=1)


@pytest.mark.parametrize("guess", ["", "mq_wrong", "x" * 500, "mq_é", None])
def test_authenticate_refuses_unknown_tokens(clinic, token, guess):
    assert tokens.authenticate(guess) is None


def test_revoked_token_is_refused(client, clinic, token):
    assert client.get("/api/v1/leads", headers=auth(token)).status_code == 200
    record = db.session.execute(db.select(ApiToken)).scalar_one()
    tokens.revoke(record.id)
    assert tokens.authenticate(token) is None
    response = client.get("/api/v1/leads", headers=auth(token))
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]


# --------------------------------------------------------------------------- CLI


def test_cli_token_create_prints_a_working_token(app, clinic):
    result = app.test_cli_runner().invoke(args=["token", "create", "--clinic", "demo"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert tokens.authenticate(secret).id == clinic.id
    assert "only time" in result.stderr


def test_cli_token_create_for_unknown_clinic_is_a_one_line_error(app, clinic):
    result = app.test_cli_runner().invoke(args=["token", "create", "--clinic", "nobody"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no clinic with slug 'nobody'"
    assert "Traceback" not in result.stderr
    assert db.session.execute(db.select(ApiToken)).first() is None


def test_cli_token_create_needs_a_clinic(app):
    result = app.test_cli_runner().invoke(args=["token", "create"])
    assert result.exit_code == 2
    assert "--clinic" in result.output


def test_cli_lists_and_revokes_tokens(app, clinic, token):
    runner = app.test_cli_runner()
    record_id = db.session.execute(db.select(ApiToken.id)).scalar_one()
    listed = runner.invoke(args=["token", "list", "--clinic", "demo"])
    assert listed.exit_code == 0
    assert listed.stdout.startswith(f"{record_id}\t") and "active" in listed.stdout
    assert token not in listed.stdout
    revoked = runner.invoke(args=["token", "revoke", str(record_id)])
    assert revoked.exit_code == 0
    assert tokens.authenticate(token) is None
    assert "revoked" in runner.invoke(args=["token", "list", "--clinic", "demo"]).stdout
    missing = runner.invoke(args=["token", "revoke", "999"])
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "Error: no API token with id 999"


# --------------------------------------------------------------------------- GET /leads


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Token abc"],
)
def test_leads_without_a_valid_bearer_token_is_401(client, token, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/leads", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert list(response.get_json()["errors"]) == ["authorization"]


def test_leads_come_oldest_first_with_the_documented_fields(
    client, clinic, token, make_lead, questionnaire
):
    first = make_lead(
        clinic,
        name="First",
        source={"utm_source": "ads", "utm_campaign": "spring", "page_url": "https://a.example/"},
        marketing=True,
        phone="+44 20 1234 5678",
    )
    second = make_lead(clinic, name="Second")
    set_created(first, datetime(2026, 1, 1, 9, tzinfo=UTC))
    set_created(second, datetime(2026, 1, 2, 9, tzinfo=UTC))
    response = client.get("/api/v1/leads", headers=auth(token))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["next_cursor"] is None
    assert [lead["name"] for lead in body["leads"]] == ["First", "Second"]
    lead = body["leads"][0]
    assert lead["id"] == first.public_id
    assert lead["created_at"] == "2026-01-01T09:00:00Z"
    assert lead["phone"] == "+44 20 1234 5678"
    assert lead["utm_source"] == "ads" and lead["utm_campaign"] == "spring"
    assert lead["page_url"] == "https://a.example/"
    assert lead["consents"]["marketing_at"] is not None
    assert body["leads"][1]["consents"]["marketing_at"] is None
    assert lead["status"] == "new"
    assert set(lead["scores"]) == {area.id for area in questionnaire.areas}
    assert "answers" not in lead


def test_leads_never_include_another_clinics(client, clinic, token, make_clinic, make_lead):
    other = make_clinic("other")
    make_lead(other, name="Not yours")
    mine = make_lead(clinic, name="Yours")
    body = client.get("/api/v1/leads", headers=auth(token)).get_json()
    assert [lead["id"] for lead in body["leads"]] == [mine.public_id]
    other_token = tokens.create_token(other)
    theirs = client.get("/api/v1/leads", headers=auth(other_token)).get_json()
    assert [lead["name"] for lead in theirs["leads"]] == ["Not yours"]


def test_a_cursor_from_another_clinic_is_refused(client, clinic, token, make_clinic, make_lead):
    other = make_clinic("other")
    for _ in range(2):
        make_lead(other)
    other_token = tokens.create_token(other)
    cursor = client.get("/api/v1/leads?limit=1", headers=auth(other_token)).get_json()
    response = client.get(f"/api/v1/leads?cursor={cursor['next_cursor']}", headers=auth(token))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["cursor"]


def test_paging_with_the_cursor_sees_every_lead_once_across_inserts(
    client, clinic, token, make_lead
):
    for n in range(5):
        make_lead(clinic, name=f"Lead {n}")
    seen = []
    page = client.get("/api/v1/leads?limit=2", headers=auth(token)).get_json()
    seen += [lead["name"] for lead in page["leads"]]
    make_lead(clinic, name="Lead 5")  # arrives while the client is paging
    while page["next_cursor"]:
        page = client.get(
            f"/api/v1/leads?limit=2&cursor={page['next_cursor']}", headers=auth(token)
        ).get_json()
        seen += [lead["name"] for lead in page["leads"]]
    assert seen == [f"Lead {n}" for n in range(6)]


def test_leads_with_equal_times_page_by_id(client, clinic, token, make_lead):
    same = datetime(2026, 3, 1, 12, tzinfo=UTC)
    leads = [make_lead(clinic, name=f"Twin {n}") for n in range(3)]
    for lead in leads:
        set_created(lead, same)
    names = []
    url = "/api/v1/leads?limit=1"
    while url:
        page = client.get(url, headers=auth(token)).get_json()
        names += [lead["name"] for lead in page["leads"]]
        url = f"/api/v1/leads?limit=1&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert names == ["Twin 0", "Twin 1", "Twin 2"]


def test_since_keeps_leads_created_at_or_after_it(client, clinic, token, make_lead):
    old, new = make_lead(clinic, name="Old"), make_lead(clinic, name="New")
    set_created(old, datetime(2026, 1, 1, tzinfo=UTC))
    set_created(new, datetime(2026, 2, 1, tzinfo=UTC))
    for since in ("2026-01-15", "2026-01-15T00:00:00Z", "2026-02-01T01:00:00%2B01:00"):
        body = client.get(f"/api/v1/leads?since={since}", headers=auth(token)).get_json()
        assert [lead["name"] for lead in body["leads"]] == ["New"], since


def test_default_limit_is_100(client, clinic, token, make_lead):
    for _ in range(101):
        make_lead(clinic)
    body = client.get("/api/v1/leads", headers=auth(token)).get_json()
    assert len(body["leads"]) == 100
    assert body["next_cursor"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday", "since"),
        ("since=2026-13-01", "since"),
        ("cursor=abc", "cursor"),
        ("cursor=", "cursor"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        # Digits that str.isdigit() takes: superscript two, Arabic-Indic twelve.
        ("limit=%C2%B2", "limit"),
        ("limit=%D9%A1%D9%A2", "limit"),
        ("limit=" + "9" * 5000, "limit"),
        # Valid ISO 8601 times that fall outside year 1 to 9999 once in UTC.
        ("since=0001-01-01T00:00:00%2B01:00", "since"),
        ("since=9999-12-31T23:59:59-01:00", "since"),
        ("sinse=2026-01-01", "sinse"),
    ],
)
def test_bad_paging_arguments_are_422(client, token, query, field):
    response = client.get(f"/api/v1/leads?{query}", headers=auth(token))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]
    assert response.get_json()["errors"][field][0]


def test_the_extreme_times_that_convert_to_utc_are_accepted(client, clinic, token, make_lead):
    make_lead(clinic, name="Any")
    for since, names in (("0001-01-01T00:00:00-01:00", ["Any"]), ("9999-12-31", [])):
        body = client.get(f"/api/v1/leads?since={since}", headers=auth(token)).get_json()
        assert [lead["name"] for lead in body["leads"]] == names, since


_PAGING = st.fixed_dictionaries(
    {},
    optional={
        "since": st.one_of(iso_times(), hostile_text()),
        "limit": whole_number_texts(),
        "cursor": hostile_text(),
    },
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=_PAGING)
# The arguments that once answered 500, always tried besides what is drawn.
@example(args={"limit": "²"})
@example(args={"since": "0001-01-01T00:00:00+01:00"})
@example(args={"since": "9999-12-31T23:59:59-01:00"})
def test_any_paging_arguments_get_a_page_or_a_422_naming_them(client, token, args):
    # surrogatepass: a lone surrogate goes out as the bytes a hostile client would send.
    query = urlencode(args, encoding="utf-8", errors="surrogatepass")
    response = client.get(f"/api/v1/leads?{query}", headers=auth(token))
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        errors = response.get_json()["errors"]
        assert errors and set(errors) <= set(args)
        assert all(messages and all(messages) for messages in errors.values())


def test_a_tampered_cursor_is_422(client, clinic, token, make_lead):
    for _ in range(2):
        make_lead(clinic)
    cursor = client.get("/api/v1/leads?limit=1", headers=auth(token)).get_json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = client.get(f"/api/v1/leads?cursor={tampered}", headers=auth(token))
    assert response.status_code == 422
