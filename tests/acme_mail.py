"""The mail tests' clinic, acme: its addresses, and a lead sent to it through the API or the
visitor's form."""

from __future__ import annotations

import json

from tests.helpers import Visitor, answer_everything

SENDER = "quiz@quiz.example"
DESK = "desk@acme.example"


def post_assessment(client, questionnaire, contact: dict, *, copy: bool = False):
    """POST a consented assessment with `contact` to acme through the API."""
    body = {
        "clinic": "acme",
        "answers": answer_everything(questionnaire),
        "contact": contact,
        "consent": {"contact": True, "health_data": True, "copy": copy},
    }
    return client.post(
        "/api/v1/assessments", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def send_form(app, questionnaire, **contact):
    """Take acme's quiz as a visitor and send the contact form; return the response and the
    visitor."""
    visitor = Visitor(app.test_client(use_cookies=False))
    visitor.open("acme")
    visitor.start("acme")
    visitor.finish_steps("acme", answer_everything(questionnaire))
    assert visitor.event() == "complete"
    response = visitor.contact("acme", **contact)
    return response, visitor
