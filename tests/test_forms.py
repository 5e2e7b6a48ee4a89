"""The quiz's forms: step forms from the questionnaire, the contact form and its checks."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from quiz import validation
from quiz.embed import forms
from quiz.i18n import pick_language
from tests.helpers import answer_everything


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


def _widget_options(field, described):
    """Each option as WTForms' own widgets draw it (what choice_options must reproduce)."""
    attrs = {"aria-describedby": described} if described else {}
    return [(str(option(**attrs)), str(option.label())) for option in field]


@pytest.mark.parametrize("language", ["en", "de"])
def test_kept_option_markup_is_what_the_widgets_draw_checked_or_not(questionnaire, language):
    answers = answer_everything(questionnaire, concerns=["dryness", "fine_lines"])
    cache: dict = {}
    checked = 0
    for step in questionnaire.steps:
        # Twice over: drawn into the cache, then read from it with nothing checked.
        for chosen in (answers, {}):
            form = forms.step_form(questionnaire, step, language, chosen)
            for field in form:
                for described in ("", f"{field.id}-help {field.id}-error"):
                    key = (questionnaire.version, language, field.name)
                    kept = forms.choice_options(field, described, cache=cache, key=key)
                    drawn = [(str(i), str(label)) for i, label in kept]
                    assert drawn == _widget_options(field, described)
                    checked += sum(" checked " in i for i, _ in drawn)
    assert checked > 0 and cache


def test_kept_option_markup_follows_posted_choices(questionnaire):
    step = next(s for s in questionnaire.steps if s.id == "goals")
    posted = MultiDict([("q-concerns", "dryness"), ("q-concerns", "<b>")])
    form = forms.step_form(questionnaire, step, "en", {}, formdata=posted)
    cache: dict = {}
    kept = forms.choice_options(form["concerns"], "q-concerns-error", cache=cache, key=("k",))
    assert [(str(i), str(label)) for i, label in kept] == _widget_options(
        form["concerns"], "q-concerns-error"
    )
    assert sum('checked id="q-concerns-' in str(i) for i, _ in kept) == 1


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
