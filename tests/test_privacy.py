"""Erasure, retention purge, access export, key rotation and erasure links, with their commands."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, update

from quiz import services
from quiz.commands.privacy import erase_command, purge_command
from quiz.crypto import Vault, new_key
from quiz.database import write_transaction
from quiz.extensions import db
from quiz.models import (
    AuditEntry,
    Delivery,
    ExportedLead,
    ExportRecord,
    IdempotencyRecord,
    Lead,
    LeadNote,
    LeadStatusChange,
    utcnow,
)
from quiz.runtime import install, runtime
from quiz.services import privacy
from tests.raw_cells import all_cells, find


def count(model, **filters) -> int:
    """Count rows of a model matching column filters."""
    return db.session.execute(
        db.select(func.count()).select_from(model).filter_by(**filters)
    ).scalar_one()


def attach_everything(lead) -> None:
    """Give a lead a note, a status change, an export link and an idempotency record."""
    with write_transaction() as session:
        session.add(LeadNote(lead_id=lead.id, body=f"Called {lead.name} about the offer"))
        session.add(LeadStatusChange(lead_id=lead.id, old_status="new", new_status="contacted"))
        export = ExportRecord(actor="staff@clinic.example", format="csv", filters={}, row_count=1)
        session.add(export)
        session.flush()
        session.add(ExportedLead(export_id=export.id, lead_id=lead.id))
        session.add(
            IdempotencyRecord(
                clinic_id=lead.clinic_id,
                key=f"key-{lead.id}",
                status_code=201,
                body={"lead_id": lead.public_id},
                lead_id=lead.id,
            )
        )


def children(lead_id: int) -> dict[str, int]:
    """Count the rows that point at a lead, by table."""
    return {
        model.__tablename__: count(model, lead_id=lead_id)
        for model in (Delivery, LeadNote, LeadStatusChange, ExportedLead, IdempotencyRecord)
    }


def audit(action: str) -> list[AuditEntry]:
    """Return the audit entries of one action, oldest first."""
    return list(
        db.session.execute(
            db.select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)
        ).scalars()
    )


def age(lead, days: float) -> None:
    """Move a lead's creation time `days` into the past."""
    with write_transaction() as session:
        session.execute(
            update(Lead)
            .where(Lead.id == lead.id)
            .values(created_at=utcnow() - timedelta(days=days))
        )


@pytest.fixture
def clinics(make_clinic):
    """Two clinics that mail and post every lead, so leads have deliveries."""
    return [
        make_clinic(email="a@clinic.example", webhook_url="https://crm.example/a"),
        make_clinic(email="b@clinic.example"),
    ]


# --------------------------------------------------------------------------- erasure


def test_erase_removes_every_lead_of_the_address_with_all_that_points_at_it(
    app, clinics, make_lead
):
    mine = [
        make_lead(clinics[0], name="Jane Erasable", email="Jane.Erasable@Example.com"),
        make_lead(clinics[1], name="Jane Erasable", email="jane.erasable@example.com"),
    ]
    other = make_lead(clinics[0], name="Otto Keeps", email="otto@example.com")
    for lead in [*mine, other]:
        attach_everything(lead)
    mine_ids = [lead.id for lead in mine]
    other_children = children(other.id)
    assert all(other_children.values()), other_children
    assert all(children(mine_ids[0]).values())

    assert privacy.erase_person("JANE.erasable@example.com", actor="admin@clinic.example") == 2

    assert count(Lead, id=mine_ids[0]) == count(Lead, id=mine_ids[1]) == 0
    for lead_id in mine_ids:
        assert set(children(lead_id).values()) == {0}
    assert count(Lead, id=other.id) == 1
    assert children(other.id) == other_children
    cells = all_cells(app)
    assert find(cells, ["jane.erasable", "Jane Erasable"], skip_tables=()) == []
    assert find(cells, ["otto@example.com"])
    [entry] = audit("erasure")
    assert entry.detail == {"count": 2}
    assert entry.actor == "admin@clinic.example"


def test_erase_of_an_address_with_no_leads_deletes_nothing(app, clinics, make_lead):
    make_lead(clinics[0], email="someone@example.com")
    assert privacy.erase_person("nobody@example.com", actor="cli") == 0
    assert count(Lead) == 1
    assert audit("erasure")[0].detail == {"count": 0}


@pytest.mark.parametrize(
    "bad", ["", "not-an-address", "a@b", "two@@example.com", None, "a,b@example.com"]
)
def test_erase_refuses_what_is_not_an_email_address(app, clinics, make_lead, bad):
    make_lead(clinics[0])
    with pytest.raises(services.ServiceError, match="not a valid email address"):
        privacy.erase_person(bad, actor="cli")
    assert count(Lead) == 1
    assert audit("erasure") == []


# --------------------------------------------------------------------------- retention


def test_purge_deletes_leads_past_retention_and_keeps_younger_ones(app, clinics, make_lead):
    app.config["LEAD_RETENTION_DAYS"] = 30
    old = make_lead(clinics[0], email="old@example.com")
    fresh = make_lead(clinics[0], email="fresh@example.com")
    new = make_lead(clinics[1], email="new@example.com")
    attach_everything(old)
    age(old, 31)
    age(fresh, 29)
    old_id = old.id

    assert privacy.purge_expired() == 1

    assert count(Lead, id=old_id) == 0
    assert set(children(old_id).values()) == {0}
    assert {lead.email for lead in db.session.execute(db.select(Lead)).scalars()} == {
        fresh.email,
        new.email,
    }
    [entry] = audit("purge")
    assert entry.detail["count"] == 1
    assert entry.detail["cutoff"].startswith(str((utcnow() - timedelta(days=30)).date()))
    assert entry.actor == "system"


def test_purge_measures_age_from_the_given_time(app, clinics, make_lead):
    app.config["LEAD_RETENTION_DAYS"] = 10
    make_lead(clinics[0])
    assert privacy.purge_expired(now=utcnow() + timedelta(days=9)) == 0
    assert count(Lead) == 1
    assert privacy.purge_expired(now=utcnow() + timedelta(days=11)) == 1
    assert count(Lead) == 0


def test_purge_works_through_more_leads_than_one_batch(app, clinics, make_lead, monkeypatch):
    monkeypatch.setattr(privacy, "PURGE_BATCH", 2)
    app.config["LEAD_RETENTION_DAYS"] = 1
    leads = [make_lead(clinics[0]) for _ in range(5)]
    keep = make_lead(clinics[0])
    for lead in leads:
        age(lead, 2)
    assert privacy.purge_expired() == 5
    assert [lead.id for lead in db.session.execute(db.select(Lead)).scalars()] == [keep.id]
    assert audit("purge")[0].detail["count"] == 5


# --------------------------------------------------------------------------- key rotation


def use_keys(app, *keys: str) -> None:
    """Reconfigure the app's vault as if DATA_ENCRYPTION_KEY were `keys`, newest first."""
    app.config["DATA_ENCRYPTION_KEYS"] = list(keys)
    install(app, dataclasses.replace(runtime(app), vault=Vault(list(keys))))


def stored_tokens() -> dict[int, str]:
    """Return each lead's encrypted health data by lead id."""
    return dict(db.session.execute(db.select(Lead.id, Lead.health_data)).all())


def test_rotation_makes_leads_readable_once_the_old_key_is_removed(app, clinics, make_lead):
    old_key = app.config["DATA_ENCRYPTION_KEYS"][0]
    leads = [make_lead(clinics[0]) for _ in range(3)]
    before = {lead.id: services.read_health_data(lead) for lead in leads}
    new = new_key()
    use_keys(app, new, old_key)

    assert privacy.rotate_keys(batch_size=2) == (3, 0)

    only_new = Vault([new])
    assert {i: only_new.decrypt(t) for i, t in stored_tokens().items()} == before
    with pytest.raises(ValueError):
        Vault([old_key]).decrypt(next(iter(stored_tokens().values())))
    assert privacy.rotate_keys() == (0, 3)
    entries = audit("key_rotation")
    assert [e.detail for e in entries] == [
        {"rotated": 3, "already_current": 0, "complete": True},
        {"rotated": 0, "already_current": 3, "complete": True},
    ]


def test_interrupted_rotation_resumes_where_it_stopped(app, clinics, make_lead):
    old_key = app.config["DATA_ENCRYPTION_KEYS"][0]
    leads = [make_lead(clinics[0]) for _ in range(5)]
    new = new_key()
    use_keys(app, new, old_key)

    assert privacy.rotate_keys(batch_size=2, max_batches=1) == (2, 0)

    only_new = Vault([new])
    tokens = stored_tokens()
    assert [only_new.is_current(tokens[lead.id]) for lead in leads] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert audit("key_rotation")[0].detail["complete"] is False

    assert privacy.rotate_keys(batch_size=2) == (3, 2)
    assert all(only_new.is_current(t) for t in stored_tokens().values())


def test_rotation_stops_with_a_clear_error_when_a_lead_matches_no_key(app, clinics, make_lead):
    make_lead(clinics[0])
    use_keys(app, new_key())
    with pytest.raises(services.ServiceError, match="cannot be decrypted with any configured key"):
        privacy.rotate_keys()


# --------------------------------------------------------------------------- access export


def test_access_export_holds_the_persons_data_and_nothing_of_others(
    app, clinics, make_lead, questionnaire
):
    mine = make_lead(
        clinics[0],
        name="Mia Access",
        email="Mia@Example.com",
        phone="+44 20 7946 0123",
        marketing=True,
        source={"utm_source": "spring-offer", "page_url": "https://clinic.example/meso"},
    )
    make_lead(clinics[1], name="Mia Access", email="mia@example.com")
    attach_everything(mine)
    make_lead(clinics[0], name="Otto Other", email="otto@example.com")
    attach_everything(db.session.execute(db.select(Lead).filter_by(name="Otto Other")).scalar_one())

    data = privacy.person_data("MIA@example.com", actor="admin@clinic.example")

    dumped = json.dumps(data)
    assert "otto" not in dumped.lower()
    assert data["email"] == "mia@example.com"
    assert len(data["leads"]) == 2
    first = data["leads"][0]
    health = services.read_health_data(mine)
    assert first["id"] == mine.public_id
    assert first["clinic"]["slug"] == clinics[0].slug
    assert first["contact"] == {
        "name": "Mia Access",
        "email": "Mia@Example.com",
        "phone": "+44 20 7946 0123",
        "contact_time": None,
    }
    assert first["consents"]["marketing_at"] is not None
    assert first["consents"]["health_data_at"] is not None
    assert first["scores"] == health["scores"]
    assert first["reasons"] == [r["text"] for r in health["reasons"]]
    assert first["outcome"]["id"] == mine.outcome_id
    assert first["outcome"]["suitability"] == mine.suitability
    assert first["source"]["utm_source"] == "spring-offer"
    assert first["status"] == mine.status
    assert first["notes"][0]["text"] == "Called Mia Access about the offer"
    assert first["status_history"][0]["to"] == "contacted"
    answered = {a["question_id"]: a for a in first["answers"]}
    assert set(answered) == set(health["answers"])
    for question_id, item in answered.items():
        question = questionnaire.question(question_id)
        assert item["question"] == question.text.get("en")
        assert [c["id"] for c in item["answers"]] == health["answers"][question_id]
        assert all(c["label"] for c in item["answers"])
    [entry] = audit("access_export")
    assert entry.detail == {"count": 2}
    assert "mia" not in json.dumps(entry.detail).lower()


def test_access_export_of_an_unknown_address_is_empty(app, clinics, make_lead):
    make_lead(clinics[0])
    assert privacy.person_data("nobody@example.com")["leads"] == []


# --------------------------------------------------------------------------- erasure links


def test_erasure_link_erases_that_persons_leads_at_that_clinic_only(app, clinics, make_lead):
    first = make_lead(clinics[0], email="Lee@example.com")
    make_lead(clinics[0], email="lee@EXAMPLE.com")
    elsewhere = make_lead(clinics[1], email="lee@example.com")
    neighbour = make_lead(clinics[0], email="neighbour@example.com")
    attach_everything(first)
    first_id = first.id
    token = privacy.erasure_token(first)
    assert "lee" not in token.lower()

    assert privacy.erase_by_token(token) == 2

    remaining = set(db.session.execute(db.select(Lead.id)).scalars())
    assert remaining == {elsewhere.id, neighbour.id}
    assert set(children(first_id).values()) == {0}
    assert privacy.erase_by_token(token) == 0
    assert [e.detail for e in audit("erasure")] == [
        {"count": 2, "via": "link"},
        {"count": 0, "via": "link"},
    ]


def test_a_tampered_erasure_link_is_refused(app, clinics, make_lead):
    lead = make_lead(clinics[0])
    token = privacy.erasure_token(lead)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, "", "garbage", token + "x"):
        with pytest.raises(privacy.ErasureTokenError) as raised:
            privacy.erase_by_token(bad)
        assert not raised.value.expired
    state_signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="quiz-state")
    with pytest.raises(privacy.ErasureTokenError):
        privacy.erase_by_token(state_signer.dumps({"lead": lead.public_id}))
    assert count(Lead) == 1


class _MonthOldSigner(TimestampSigner):
    """Signs as if 31 days ago."""

    def get_timestamp(self) -> int:
        return super().get_timestamp() - 31 * 24 * 3600


def test_an_erasure_link_older_than_thirty_days_is_refused(app, clinics, make_lead):
    lead = make_lead(clinics[0])
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="erasure", signer=_MonthOldSigner)
    with pytest.raises(privacy.ErasureTokenError, match="expired") as raised:
        privacy.erase_by_token(old.dumps({"lead": lead.public_id}))
    assert raised.value.expired
    assert count(Lead) == 1


# --------------------------------------------------------------------------- commands


def test_erase_command_prints_how_many_leads_were_erased(app, clinics, make_lead):
    make_lead(clinics[0], email="cli@example.com")
    make_lead(clinics[1], email="CLI@example.com")
    result = app.test_cli_runner().invoke(erase_command, ["Cli@Example.com"])
    assert result.exit_code == 0, result.output
    assert result.output == "2 leads erased\n"
    assert count(Lead) == 0
    assert audit("erasure")[0].actor == "cli"


def test_erase_command_rejects_a_bad_address_in_one_line(app, clinics, make_lead):
    make_lead(clinics[0])
    result = app.test_cli_runner().invoke(erase_command, ["not-an-email"])
    assert result.exit_code == 2
    assert "not a valid email address" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert count(Lead) == 1


def test_purge_command_prints_how_many_leads_were_purged(app, clinics, make_lead):
    app.config["LEAD_RETENTION_DAYS"] = 5
    age(make_lead(clinics[0]), 6)
    make_lead(clinics[0])
    result = app.test_cli_runner().invoke(purge_command, [])
    assert result.exit_code == 0, result.output
    assert result.output == "1 lead purged\n"
    assert count(Lead) == 1


def test_keys_rotate_command_reports_rotated_and_current(app, clinics, make_lead):
    old_key = app.config["DATA_ENCRYPTION_KEYS"][0]
    make_lead(clinics[0])
    make_lead(clinics[0])
    use_keys(app, new_key(), old_key)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "rotate", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert result.output == "re-encrypted 2 leads, 0 already current\n"
    result = runner.invoke(args=["keys", "rotate"])
    assert result.output == "re-encrypted 0 leads, 2 already current\n"


def test_keys_rotate_command_fails_in_one_line_when_a_key_is_missing(app, clinics, make_lead):
    make_lead(clinics[0])
    use_keys(app, new_key())
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: lead ")
    assert result.output.count("\n") == 1


def test_keys_rotate_command_rejects_a_batch_size_below_one(app):
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "0"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_keys_new_prints_a_usable_key_and_how_to_use_it(app):
    result = app.test_cli_runner().invoke(args=["keys", "new"])
    assert result.exit_code == 0
    key = result.stdout.strip()
    assert Fernet(key.encode())
    assert key not in app.config["DATA_ENCRYPTION_KEYS"]
    assert "put it first in DATA_ENCRYPTION_KEY" in result.stderr
