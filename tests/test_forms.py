"""The quiz's forms: step forms from the questionnaire, the contact form and its checks."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from quiz.embed import forms
from quiz.i18n import pick_language
from tests.conftest import answer_everything


def test_step_form_has_a_field_per_applicable_question_filled_from_answers(questionnaire):
    answers = answer_everything(questionnaire, concerns=["dryness"])
    step = next(s for s in questionnaire.steps if s.id == "goals")
    form = forms.step_form(questionnaire, step, "en", answers)
    assert [f.short_name for f in form] == list(step.question_ids)
    assert form["concerns"].data == ["dryness"]
    assert form["concerns"].name == "q-concerns"


def test_step_form_shows_posted_values_and_errors(questionnaire):
    step = questionnaire.steps[0]
    form = forms.step_form(
        questionnaire,
        step,
        "en",
        {},
        formdata=MultiDict([("q-age", "nonsense")]),
        errors={"age": ["Choose one of the options shown."]},
    )
    assert form["age"].errors == ["Choose one of the options shown."]
    assert forms.error_summary(form) == [
        (
            "q-age-0",
            f"{questionnaire.question('age').text.get('en')} Choose one of the options shown.",
        )
    ]


def test_source_keeps_valid_attribution_and_drops_the_rest():
    source = forms.source_from_query(
        {"utm_source": "mail", "utm_medium": "x" * 500, "page_url": "ftp://host/x", "other": "1"}
    )
    assert source == {"utm_source": "mail"}


def test_language_falls_back_to_the_clinic_then_the_questionnaire(questionnaire):
    assert pick_language(questionnaire.languages, "en", "en") == "en"
    assert pick_language(questionnaire.languages, "zz", "en") == "en"
    assert pick_language(questionnaire.languages, None, "zz") == questionnaire.languages[0]
    # The API's "language" may be any JSON value: anything but an offered code falls back.
    assert pick_language(("en", "de"), ["de"], "de") == pick_language(("en", "de"), 5, "de") == "de"


def _contact(**values):
    data = {
        "name": "Ada",
        "email": "ADA@example.com",
        "contact_time": "evening",
        "consent_contact": "y",
        "consent_health": "y",
        **values,
    }
    return forms.contact_form("Acme", MultiDict({k: v for k, v in data.items() if v is not None}))


def test_contact_form_with_both_consents_gives_contact_and_consent():
    contact, consent = forms.check_contact_form(_contact(marketing="y"))
    assert contact.email == "ada@example.com" and contact.contact_time == "evening"
    assert consent.health_data and consent.contact and consent.marketing and not consent.wants_copy


def test_contact_form_maps_shared_validation_errors_onto_fields():
    form = _contact(email="nope", consent_health=None, consent_contact=None)
    assert forms.check_contact_form(form) == (None, None)
    assert form.email.errors and form.consent_health.errors and form.consent_contact.errors
    assert not form.name.errors


def test_consent_boxes_start_unticked_and_name_the_clinic():
    form = forms.contact_form("Acme Clinic")
    assert "checked" not in form.consent_contact() and "checked" not in form.consent_health()
    assert "Acme Clinic" in form.consent_health.label.text


def test_automated_submissions_are_recognised():
    form = _contact()
    assert forms.looks_automated(form, started=100, now=101.0, min_seconds=3)
    assert not forms.looks_automated(form, started=100, now=104.0, min_seconds=3)
    assert forms.looks_automated(_contact(website="x"), started=0, now=10_000.0, min_seconds=3)
