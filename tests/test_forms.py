"""The quiz flow and forms: steps that apply, moves between steps, contact checks."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from quiz import forms, validation
from tests.conftest import answer_everything


def _index(questionnaire, step_id: str) -> int:
    return next(i for i, s in enumerate(questionnaire.steps) if s.id == step_id)


def _post(questionnaire, step_index: int, answers: dict) -> MultiDict:
    step = questionnaire.steps[step_index]
    return MultiDict([(f"q-{qid}", v) for qid in step.question_ids for v in answers.get(qid, [])])


def test_start_goes_to_the_first_step(questionnaire):
    move = forms.advance(questionnaire, {}, -1, "start", None)
    assert (move.step, move.finished) == (0, False)


def test_walking_every_step_with_complete_answers_finishes(questionnaire):
    answers = answer_everything(questionnaire, concerns=["cellulite", "hair_thinning"])
    carried, index, seen = {}, 0, []
    while True:
        seen.append(questionnaire.steps[index].id)
        move = forms.advance(
            questionnaire, carried, index, "next", _post(questionnaire, index, answers)
        )
        assert not move.errors
        carried, index = move.answers, move.step
        if move.finished:
            break
    assert carried == answers
    assert len(seen) == len(forms.applicable_steps(questionnaire, answers))


def test_steps_whose_questions_do_not_apply_are_not_counted(questionnaire):
    narrow = answer_everything(questionnaire, concerns=["not_sure"])
    wide = answer_everything(questionnaire, concerns=["cellulite", "pigmentation", "hair_thinning"])
    assert len(forms.applicable_steps(questionnaire, narrow)) < len(
        forms.applicable_steps(questionnaire, wide)
    )
    number, total = forms.progress(questionnaire, narrow, _index(questionnaire, "skin_type"))
    assert total == len(forms.applicable_steps(questionnaire, narrow))
    assert 1 < number <= total


def test_missing_answer_keeps_the_step_and_names_the_question(questionnaire):
    index = _index(questionnaire, "right_now")
    first, second = questionnaire.steps[index].question_ids[:2]
    answers = answer_everything(questionnaire)
    posted = MultiDict([(f"q-{first}", answers[first][0])])
    move = forms.advance(questionnaire, {}, index, "next", posted)
    assert move.step == index and not move.finished
    assert set(move.errors) == {second}
    assert move.answers[first] == answers[first]


def test_back_goes_to_the_previous_applicable_step_keeping_answers(questionnaire):
    answers = answer_everything(questionnaire)
    index = _index(questionnaire, "right_now")
    move = forms.advance(
        questionnaire, answers, index, "back", _post(questionnaire, index, answers)
    )
    assert move.step == _index(questionnaire, "goals")
    assert move.answers == answers


def test_back_on_the_first_step_stays_there(questionnaire):
    move = forms.advance(questionnaire, {}, 0, "back", MultiDict())
    assert move.step == 0 and not move.finished


def test_an_answer_that_ends_the_quiz_finishes_at_once(questionnaire):
    move = forms.advance(questionnaire, {}, 0, "next", MultiDict([("q-age", "under_18")]))
    assert move.finished
    assert forms.ended_early(questionnaire, move.answers)


def test_a_question_revealed_on_the_same_step_is_asked_without_an_error(questionnaire):
    step = next(
        s
        for s in questionnaire.steps
        if any(
            q.show_if and q.show_if.question_id in s.question_ids
            for q in questionnaire.step_questions(s)
        )
    )
    index = questionnaire.steps.index(step)
    dependent = next(
        q
        for q in questionnaire.step_questions(step)
        if q.show_if and q.show_if.question_id in step.question_ids
    )
    trigger = dependent.show_if.question_id
    chosen = sorted(dependent.show_if.option_ids)[0]
    wanted = {trigger: [chosen]}
    outer = questionnaire.question(trigger).show_if
    if outer:  # the trigger itself must apply too
        wanted[outer.question_id] = [sorted(outer.option_ids)[0]]
    earlier = answer_everything(questionnaire, **wanted)
    before = {
        k: v
        for k, v in earlier.items()
        if questionnaire.steps.index(next(s for s in questionnaire.steps if k in s.question_ids))
        < index
    }
    posted = MultiDict(
        [
            (f"q-{qid}", v)
            for qid in step.question_ids
            if qid != dependent.id
            for v in earlier.get(qid, [])
        ]
    )
    move = forms.advance(questionnaire, before, index, "next", posted)
    assert move.step == index and move.revealed and not move.errors


def test_step_form_has_a_field_per_applicable_question_filled_from_answers(questionnaire):
    answers = answer_everything(questionnaire, concerns=["dryness"])
    step = questionnaire.steps[_index(questionnaire, "goals")]
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
    assert forms.pick_language(questionnaire, "en", "en") == "en"
    assert forms.pick_language(questionnaire, "zz", "en") == "en"
    assert forms.pick_language(questionnaire, None, "zz") == questionnaire.languages[0]


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


# --------------------------------------------------------------------------- contact checks

_GOOD = {"name": "Ada", "email": "ada@example.com", "phone": "+44 20 7946 0001"}


@pytest.mark.parametrize("field", ["name", "email", "phone", "contact_time"])
@pytest.mark.parametrize(
    "trick",
    [
        "=?utf-8?q?x=0D=0ABcc:_eve@evil.example?=",
        "=?UTF-8?B?RXZlDQpCY2M6IGV2ZUBldmlsLmV4YW1wbGU=?=",
        "\r\n",
        "\n",
        "\t",
        "\x00",
        "\x85",  # NEL
        "\u2028",  # line separator
        "\u2029",  # paragraph separator
        "\u202e",  # right-to-left override
        "\u200b",  # zero-width space
        "\ufeff",  # byte order mark
        "\ud800",  # a lone surrogate: not storable as UTF-8
    ],
    ids=[
        "q-word", "b-word", "crlf", "lf", "tab", "nul", "nel", "ls", "ps", "rlo", "zwsp", "bom",
        "surrogate",
    ],
)  # fmt: skip
def test_contact_check_refuses_encoded_words_and_control_characters_in_every_field(field, trick):
    value = {"email": f"ada{trick}@example.com", "phone": f"+44 20{trick}7946"}.get(
        field, f"Ada{trick}Lovelace"
    )
    contact, errors = validation.check_contact({**_GOOD, field: value})
    assert contact is None
    assert list(errors) == [f"contact.{field}"]
    [message] = errors[f"contact.{field}"]
    assert ("=?" in message) == ("=?" in trick)


@pytest.mark.parametrize("field", validation.SOURCE_FIELDS)
@pytest.mark.parametrize("trick", ["\ud800", "\udfff", "\x00", "\r\n", "\u202e", "=?utf-8?q?x?="])
def test_source_check_refuses_what_the_contact_check_refuses(field, trick):
    value = f"https://site.example/a{trick}b" if field == "page_url" else f"a{trick}b"
    source, errors = validation.check_source({field: value})
    assert source == {}
    assert errors == {f"source.{field}": [validation.text_problem(value)]}
    assert forms.source_from_query({field: value}) == {}


@pytest.mark.parametrize("url", ["http://[x", "https://a]b/", "http://[not-an-address]/"])
def test_a_page_url_urlsplit_cannot_read_is_refused_not_raised(url):
    source, errors = validation.check_source({"page_url": url})
    assert source == {} and list(errors) == ["source.page_url"]
    assert forms.source_from_query({"page_url": url, "utm_source": "mail"}) == {
        "utm_source": "mail"
    }


@pytest.mark.parametrize("blank", ["   ", "\u3000", "\u00a0 \u2003"])
def test_a_name_of_only_spaces_is_no_name_and_a_blank_phone_is_no_phone(blank):
    contact, errors = validation.check_contact({**_GOOD, "name": blank})
    assert contact is None
    assert errors == {"contact.name": ["Please tell us your name."]}
    contact, errors = validation.check_contact({**_GOOD, "phone": blank, "contact_time": blank})
    assert errors == {} and contact.phone is None and contact.contact_time is None


def test_contact_check_keeps_names_in_every_script():
    for name in ("Zoë Núñez", "O'Brien-Smith", "محمد‌رضا", "ज्ञान", "李小龍", "Ada <b>L</b>"):
        contact, errors = validation.check_contact({**_GOOD, "name": f"  {name} "})
        assert errors == {} and contact.name == name


def test_the_forms_contact_check_refuses_an_encoded_word_beside_the_name():
    form = _contact(name="=?utf-8?q?Eve=0D=0AReply-To:_eve@evil.example?=")
    assert forms.check_contact_form(form) == (None, None)
    assert form.name.errors == ["Please write this as plain text, without =?…?= sequences."]


@pytest.mark.parametrize(
    "address",
    [
        "first,second@visitor.example",
        "first;second@visitor.example",
        "Eve <eve@visitor.example>",
        '"first,second"@visitor.example',
        "eve@visitor.example, other@visitor.example",
        "eve@[127.0.0.1]",
        "eve@localhost",
        "eve@visitor..example",
        "eve@visitor.example.",
        "two@@visitor.example",
        "a@b",
        "x" * 65 + "@visitor.example",
        "eve@" + "d" * 64 + ".example",
        "=?utf-8?q?eve?=@visitor.example",
        None,
        7,
        "",
    ],
)
def test_check_email_refuses_anything_but_one_address(address):
    assert validation.check_email(address)[0] is None
    assert validation.mail_address(address) is None
    assert validation.check_email(address)[1]


@pytest.mark.parametrize(
    ("given", "stored", "sent"),
    [
        ("Ada@Example.com", "ada@example.com", "ada@example.com"),
        ("  ada+quiz@clinic.example ", "ada+quiz@clinic.example", "ada+quiz@clinic.example"),
        ("o'brien@visitor.example", "o'brien@visitor.example", "o'brien@visitor.example"),
        ("zoe@Bücher.example", "zoe@bücher.example", "zoe@xn--bcher-kva.example"),
        ("zoë@visitor.example", "zoë@visitor.example", "zoë@visitor.example"),
    ],
)
def test_check_email_normalises_as_stored_and_mail_address_as_sent(given, stored, sent):
    assert validation.check_email(given) == (stored, None)
    assert validation.mail_address(given) == sent


def test_check_phone_tidies_spaces_and_refuses_the_rest():
    assert validation.check_phone(" +44  20 7946 0001 ") == ("+44 20 7946 0001", None)
    for bad in ("call me", "+44\r\n20 7946", "12", None):
        phone, problem = validation.check_phone(bad)
        assert phone is None and problem
