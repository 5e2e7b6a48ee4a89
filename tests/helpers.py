"""Helpers the test modules share: the cookie-less visitor, the state token, the standard
contact, a complete answer set, the OpenAPI schema validator and the app run as a process."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from quiz.extensions import db
from quiz.models import Event
from quiz.questions import SUITABILITIES, Questionnaire, check_answers, clean_answers

ROOT = Path(__file__).resolve().parent.parent

# The public URL links in mail and chat messages start with.
PUBLIC = "https://quiz.example"

# The password every test account gets; it passes the password rules.
STRONG = "Correct-horse-42"

# Cheap Argon2 parameters keep the suite fast; one test checks the production defaults.
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

# What a person types into the contact form, consent boxes ticked.
CONTACT = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0001",
    "contact_time": "morning",
    "consent_contact": "y",
    "consent_health": "y",
}

# The OpenAPI document's name in the registry its references resolve against.
DOCUMENT_URI = "urn:quiz:openapi"

_TOKEN = re.compile(r'name="state" value="([^"]+)"')
_FIELD = re.compile(r'name="q-([a-z0-9_-]+)"')
_EVENT = re.compile(r'data-quiz-event="([^"]*)"')


def state_token(markup: str) -> str:
    """The page's signed state token, as the hidden field would post it."""
    return html.unescape(_TOKEN.search(markup).group(1))


def question_fields(markup: str) -> list[str]:
    """The question ids a page asks, in page order, each once."""
    return list(dict.fromkeys(_FIELD.findall(markup)))


def answer_everything(questionnaire: Questionnaire, **chosen) -> dict[str, list[str]]:
    """Return a complete valid answer set: `chosen` answers, and the first unflagged option
    (or the exclusive "none" option) for every other applicable question."""
    answers: dict[str, list[str]] = {qid: _as_list(v) for qid, v in chosen.items()}
    for _ in range(len(questionnaire.questions) + 1):
        _, applicable = clean_answers(questionnaire, {k: tuple(v) for k, v in answers.items()})
        missing = [qid for qid in applicable if qid not in answers]
        if not missing:
            break
        question = questionnaire.question(missing[0])
        exclusive = [o for o in question.options if o.exclusive]
        safe = [o for o in question.options if not o.flag]
        answers[question.id] = [(exclusive or safe or list(question.options))[0].id]
    kept, errors = check_answers(questionnaire, answers)
    assert not errors, errors
    return {qid: list(v) for qid, v in kept.items()}


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def state_at_result(client, questionnaire: Questionnaire, slug: str) -> str:
    """Walk a cookie-less client through every step; return the result page's state token."""
    answers = answer_everything(questionnaire)
    page = client.get(f"/embed/{slug}").get_data(as_text=True)
    # A step answers with a 303 to its address, which a browser follows with a GET.
    response = client.post(
        f"/embed/{slug}/step",
        data={"state": state_token(page), "action": "start"},
        follow_redirects=True,
    )
    for _ in range(20):
        page = response.get_data(as_text=True)
        fields = question_fields(page)
        if not fields:
            break
        data = {f"q-{qid}": answers[qid] for qid in fields if qid in answers}
        response = client.post(
            f"/embed/{slug}/step", data={"state": state_token(page), **data}, follow_redirects=True
        )
    return state_token(response.get_data(as_text=True))


def forbidden_values(questionnaire: Questionnaire) -> set[str]:
    """Every id an answer could reveal: suitabilities, outcomes, areas, questions, options."""
    values = set(SUITABILITIES)
    values |= {outcome.id for outcome in questionnaire.outcomes}
    values |= {area.id for area in questionnaire.areas}
    for question in questionnaire.questions:
        values.add(question.id)
        values |= {option.id for option in question.options}
    return values


def validator(document: dict, schema_name: str) -> Draft202012Validator:
    """Return a validator for one of the OpenAPI document's component schemas, refs resolved."""
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    schema = {"$ref": f"{DOCUMENT_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


class Visitor:
    """Posts each page's own state token back, like the hidden field does in a browser."""

    def __init__(self, client):
        self.client = client
        self.page = None
        self.responses = []

    @property
    def text(self) -> str:
        return self.page.get_data(as_text=True)

    def token(self) -> str:
        return state_token(self.text)

    def event(self) -> str:
        return _EVENT.search(self.text).group(1)

    def fields(self) -> list[str]:
        return question_fields(self.text)

    def _keep(self, response):
        self.page = response
        self.responses.append(response)
        return response

    def open(self, slug: str, **query):
        return self._keep(self.client.get(f"/embed/{slug}", query_string=query))

    def post(self, path: str, data: dict, headers: dict | None = None):
        data = {"state": self.token(), **data}
        # A step answers with a 303 to its address, which a browser follows with a GET.
        response = self.client.post(path, data=data, headers=headers or {}, follow_redirects=True)
        return self._keep(response)

    def start(self, slug: str):
        return self.post(f"/embed/{slug}/step", {"action": "start"})

    def answer(self, slug: str, answers: dict, action: str = "next"):
        data = {f"q-{qid}": answers[qid] for qid in self.fields() if qid in answers}
        return self.post(f"/embed/{slug}/step", {**data, "action": action})

    def finish_steps(self, slug: str, answers: dict, limit: int = 20) -> list[str]:
        """Answer every step shown; return the step headings seen."""
        headings = []
        while self.event() in ("start", "step") and self.fields() and limit:
            headings.append(re.search(r'id="step-heading"[^>]*>([^<]+)<', self.text).group(1))
            response = self.answer(slug, answers)
            assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
            limit -= 1
        return headings

    def to_result(self, slug: str, questionnaire: Questionnaire, **chosen):
        """Open the quiz, start it and answer every step (`chosen` overriding the defaults)."""
        self.open(slug)
        self.start(slug)
        self.finish_steps(slug, answer_everything(questionnaire, **chosen))

    def contact(self, slug: str, **overrides):
        data = {**CONTACT, **overrides}
        return self.post(f"/embed/{slug}/contact", {k: v for k, v in data.items() if v is not None})


def flask_process(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` in a process of its own on tmp_path's SQLite database."""
    return python_process(tmp_path, "-m", "flask", "--app", "wsgi", *args, **env)


def python_process(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    """Run Python with ARGS in a process of its own on tmp_path's SQLite database."""
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'quiz.db'}",
        "SECRET_KEY": "x" * 32,
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        check=False,
        timeout=120,
    )


def names(response) -> set[str]:
    """The lead names in a list page's table."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    return {part.split("</a>")[0] for part in body.split('">')[1:] if "</a>" in part.split("\n")[0]}


def event_kinds() -> list[str]:
    """The kinds of the funnel events stored, oldest first."""
    return [e.kind for e in db.session.execute(db.select(Event).order_by(Event.id)).scalars()]
