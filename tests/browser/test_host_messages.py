"""Everything the host page receives from the quiz, over whole runs to a sent lead, holds the
clinic slug and step numbers only: nothing derived from the visitor's answers."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from quiz.extensions import db
from quiz.models import Lead
from quiz.runtime import runtime
from tests.browser.conftest import HOST_CLINIC
from tests.browser.helpers import NAME, finish_quiz, quiz_frame
from tests.helpers import answer_everything, forbidden_values

EVENTS = {"quiz:start", "quiz:step", "quiz:complete", "quiz:lead"}
PAGE_EVENTS = {"view", "start", "step", "complete", "lead"}
MESSAGE_KEYS = {
    "quiz:height": {"type", "h"},
    "quiz:page": {"type", "event", "step", "steps", "error"},
}
DETAIL_KEYS = {"clinic", "step", "steps"}
PUSH_KEYS = {"event", "quiz_clinic", "quiz_step", "quiz_steps"}

# One run per suitability a clinic's tags must never learn: the answers that lead there.
PATHS = {
    "good": {"concerns": ["fine_lines", "dryness"], "face_detail": ["dry_dull"]},
    "not_suitable": {"pregnancy": ["pregnant"]},
    "consult": {"allergies": ["local_anaesthetic"]},
}


def leaves(value):
    """Every key and scalar inside a decoded JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def leaked(value, forbidden: set[str]) -> set[str]:
    """The forbidden ids appearing in a value, as a whole string or as one of its words."""
    found = set()
    for leaf in leaves(value):
        if isinstance(leaf, str):
            # Ids are lower-case words with underscores; "age" inside "quiz:page" is no leak.
            words = {leaf.lower(), *re.split(r"[^a-z0-9_]+", leaf.lower())}
            found |= words & forbidden
    return found


def step_numbers(step, steps, total: int) -> bool:
    """A step and a step count are small whole numbers (or absent), never a score."""
    ok = all(n is None or (isinstance(n, int) and not isinstance(n, bool)) for n in (step, steps))
    return ok and (steps is None or 0 <= steps <= total) and (step is None or 1 <= step <= total)


@pytest.fixture(scope="module")
def runs(blocking_context, quiz_server, host_server):
    """Each path run once on a host page that records everything it receives."""
    questionnaire = runtime(quiz_server.app).questionnaire
    recorded = {}
    for path, chosen in PATHS.items():
        email = f"host-messages-{path}@example.org"
        page = blocking_context.new_page()
        page.goto(f"{host_server}/record.html?utm_source=ads")
        frame = quiz_frame(page)
        finish_quiz(page, frame, answer_everything(questionnaire, **chosen), email=email)
        page.wait_for_function("window.hostEvents.some(e => e.type === 'quiz:lead')")
        # A last height message may still be on its way after the thank-you page loads.
        page.wait_for_timeout(300)
        recorded[path] = {
            "email": email,
            "messages": page.evaluate("window.hostMessages"),
            "events": page.evaluate("window.hostEvents"),
            "pushes": page.evaluate("window.dataLayerPushes"),
        }
        page.close()
    return recorded


@pytest.mark.parametrize("path", PATHS)
def test_each_path_really_reached_its_suitability_and_a_lead(runs, path, quiz_server):
    # Otherwise a run that never met the sensitive result would prove nothing.
    with quiz_server.app.app_context():
        lead = db.session.execute(select(Lead).filter_by(email=runs[path]["email"])).scalar_one()
        assert lead.suitability == path
        db.session.remove()
    assert [e for e in runs[path]["events"] if e["type"] == "quiz:lead"]


@pytest.mark.parametrize("path", PATHS)
def test_messages_to_the_host_carry_only_height_and_progress(runs, path, quiz_server):
    total = len(runtime(quiz_server.app).questionnaire.steps)
    forbidden = forbidden_values(runtime(quiz_server.app).questionnaire)
    messages = runs[path]["messages"]
    assert {m["data"] and json.loads(m["data"])["type"] for m in messages} == set(MESSAGE_KEYS)
    for message in messages:
        assert message["origin"] == quiz_server.origin
        data = json.loads(message["data"])
        assert set(data) == MESSAGE_KEYS[data["type"]], data
        assert not leaked(data, forbidden), data
        if data["type"] == "quiz:height":
            assert isinstance(data["h"], int), data
        else:
            assert data["event"] in PAGE_EVENTS, data
            assert isinstance(data["error"], bool), data
            assert step_numbers(data["step"], data["steps"], total), data


@pytest.mark.parametrize("path", PATHS)
def test_dom_events_carry_the_clinic_slug_and_step_numbers_only(runs, path, quiz_server):
    total = len(runtime(quiz_server.app).questionnaire.steps)
    forbidden = forbidden_values(runtime(quiz_server.app).questionnaire)
    events = runs[path]["events"]
    assert {e["type"] for e in events} == EVENTS
    for event in events:
        detail = json.loads(event["detail"])
        assert set(detail) == DETAIL_KEYS, event
        assert detail["clinic"] == HOST_CLINIC
        assert step_numbers(detail["step"], detail["steps"], total), event
        assert not leaked(detail, forbidden), event


@pytest.mark.parametrize("path", PATHS)
def test_data_layer_pushes_carry_the_clinic_slug_and_step_numbers_only(runs, path, quiz_server):
    total = len(runtime(quiz_server.app).questionnaire.steps)
    forbidden = forbidden_values(runtime(quiz_server.app).questionnaire)
    pushes = [json.loads(p) for p in runs[path]["pushes"]]
    assert {p["event"] for p in pushes} == {"quiz_" + e.split(":")[1] for e in EVENTS}
    assert len(pushes) == len(runs[path]["events"])
    for push in pushes:
        assert set(push) == PUSH_KEYS, push
        assert push["quiz_clinic"] == HOST_CLINIC
        assert step_numbers(push["quiz_step"], push["quiz_steps"], total), push
        assert not leaked(push, forbidden), push


@pytest.mark.parametrize("path", PATHS)
def test_nothing_the_host_receives_names_the_visitor(runs, path):
    everything = json.dumps(runs[path]["messages"] + runs[path]["events"] + runs[path]["pushes"])
    assert runs[path]["email"] not in everything and NAME not in everything


def test_the_leak_check_sees_a_suitability_and_an_answer():
    # The guard itself must catch what it guards against, hidden at any depth.
    forbidden = {"not_suitable", "pregnant", "age"}
    assert leaked({"type": "quiz:page", "x": ["a not_suitable b"]}, forbidden) == {"not_suitable"}
    assert leaked({"pregnant": 1}, forbidden) == {"pregnant"}
    assert leaked({"type": "quiz:page"}, forbidden) == set()
