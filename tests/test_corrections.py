"""A quiz run that sends details more than once: corrections, a second person, erasure links.

Walked through the HTML path the way a browser with JavaScript off does, the back button
being an earlier page's own state token posted again.
"""

from __future__ import annotations

import html
import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from quiz.extensions import db
from quiz.models import Delivery, Event, Lead
from quiz.services import read_health_data
from quiz.services.privacy import ERASURE_SALT
from tests.helpers import CONTACT, answer_everything

pytestmark = pytest.mark.usefixtures("admin_config")


OTHER = {**CONTACT, "name": "Grace Hopper", "email": "grace@example.com", "phone": ""}
_FORGET = re.compile(r'href="/embed/acme/forget/([^"?]+)')


@pytest.fixture
def app_config(app_config):
    """No minimum fill time: a test client is faster than any person."""
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


@pytest.fixture
def acme(make_clinic):
    return make_clinic("acme", email="leads@acme.example")


def leads() -> list[Lead]:
    db.session.rollback()
    return list(db.session.execute(db.select(Lead).order_by(Lead.id)).scalars())


def lead_events() -> int:
    return sum(e.kind == "lead" for e in db.session.execute(db.select(Event)).scalars())


def completions() -> int:
    return sum(e.kind == "complete" for e in db.session.execute(db.select(Event)).scalars())


def erasure_lead(app, page: str) -> str:
    """The public id of the lead the thanks page's erasure link names."""
    token = html.unescape(_FORGET.search(page).group(1))
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=ERASURE_SALT)
    return signer.loads(token)["lead"]


def finish(visitor, questionnaire, **chosen):
    visitor.open("acme")
    visitor.start("acme")
    visitor.finish_steps("acme", answer_everything(questionnaire, **chosen))
    assert visitor.event() == "complete"


def go_back_to(visitor, question_id: str) -> None:
    """The back button: the earlier page that asked this question, with its own token."""
    visitor.page = next(r for r in visitor.responses if f'name="q-{question_id}"' in r.text)


def test_a_correction_after_the_result_is_a_new_lead_linked_to_the_first(
    app, visitor, acme, questionnaire, admin_client
):
    finish(visitor, questionnaire, medicines="none")
    visitor.contact("acme")
    go_back_to(visitor, "medicines")
    changed = answer_everything(questionnaire, medicines="isotretinoin")
    visitor.answer("acme", changed)
    visitor.finish_steps("acme", changed)
    assert visitor.event() == "complete"
    visitor.contact("acme")
    assert visitor.page.status_code == 200
    first, second = leads()
    assert read_health_data(first)["answers"]["medicines"] == ["none"]
    assert read_health_data(second)["answers"]["medicines"] == ["isotretinoin"]
    assert (first.suitability, second.suitability) != ("consult", "consult")
    assert second.suitability == "consult"
    assert second.corrects_lead_id == first.id and first.corrects_lead_id is None
    assert first.run_id == second.run_id is not None
    # Delivered like any new lead; the run is one lead in the funnel.
    channels = db.session.execute(db.select(Delivery.lead_id, Delivery.channel)).all()
    assert sorted(channels) == [(first.id, "email"), (second.id, "email")]
    assert lead_events() == 1 <= completions()
    # The erasure link names the lead just sent.
    assert erasure_lead(app, visitor.text) == second.public_id
    # Both leads' pages say so, each linking to the other.
    page = admin_client.get(f"/admin/leads/{first.public_id}").get_data(as_text=True)
    assert f"Corrected by lead #{second.id}" in page
    assert f'href="/admin/leads/{second.public_id}"' in page
    page = admin_client.get(f"/admin/leads/{second.public_id}").get_data(as_text=True)
    assert f"Corrects lead #{first.id}" in page
    assert f'href="/admin/leads/{first.public_id}"' in page


def test_the_same_details_and_answers_sent_again_are_the_same_lead(
    app, visitor, acme, questionnaire
):
    finish(visitor, questionnaire)
    token = visitor.token()
    first = visitor.client.post("/embed/acme/contact", data={"state": token, **CONTACT})
    again = visitor.client.post("/embed/acme/contact", data={"state": token, **CONTACT})
    assert first.status_code == again.status_code == 200
    (lead,) = leads()
    assert erasure_lead(app, first.get_data(as_text=True)) == lead.public_id
    assert erasure_lead(app, again.get_data(as_text=True)) == lead.public_id
    assert lead_events() == 1
    assert db.session.execute(db.select(db.func.count(Delivery.id))).scalar_one() == 1


def test_the_same_person_changing_a_detail_corrects_their_lead(visitor, acme, questionnaire):
    finish(visitor, questionnaire)
    token = visitor.token()
    visitor.client.post("/embed/acme/contact", data={"state": token, **CONTACT})
    # Same address written with capitals, another phone number: the same person.
    fixed = {**CONTACT, "email": "ADA@example.com", "phone": "+44 20 7946 0002"}
    visitor.client.post("/embed/acme/contact", data={"state": token, **fixed})
    first, second = leads()
    assert second.corrects_lead_id == first.id
    assert second.phone == "+44 20 7946 0002"
    assert lead_events() == 1


def test_another_person_on_the_same_run_gets_a_lead_and_erasure_link_of_their_own(
    app, visitor, acme, questionnaire
):
    finish(visitor, questionnaire)
    token = visitor.token()
    visitor.client.post("/embed/acme/contact", data={"state": token, **CONTACT})
    # A shared device: the next person sends their details from the same page.
    theirs = visitor.client.post("/embed/acme/contact", data={"state": token, **OTHER})
    assert theirs.status_code == 200
    ada, grace = leads()
    assert (ada.email, grace.email) == ("ada@example.com", "grace@example.com")
    assert grace.corrects_lead_id is None
    assert lead_events() == 1
    link = erasure_lead(app, theirs.get_data(as_text=True))
    assert link == grace.public_id
    token = html.unescape(_FORGET.search(theirs.get_data(as_text=True)).group(1))
    erased = visitor.client.post(f"/embed/acme/forget/{token}")
    assert erased.status_code == 200
    assert [lead.email for lead in leads()] == ["ada@example.com"]


def test_the_api_idempotent_replay_is_unaffected(client, acme, questionnaire):
    body = {
        "clinic": "acme",
        "answers": answer_everything(questionnaire),
        "contact": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "consent": {"contact": True, "health_data": True},
    }
    sent = [
        client.post("/api/v1/assessments", json=body, headers={"Idempotency-Key": "k1"})
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [201, 201]
    assert sent[0].get_json() == sent[1].get_json()
    (lead,) = leads()
    assert lead.run_id is None and lead.corrects_lead_id is None
    # Without a key, every request is a lead of its own, never a correction.
    client.post("/api/v1/assessments", json=body)
    assert [lead.corrects_lead_id for lead in leads()] == [None, None]
    assert lead_events() == 2
