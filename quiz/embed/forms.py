"""The quiz's WTForms: step forms built from the questionnaire (the moves between steps are
in flow.py), the contact form and its checks."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TelField,
)
from wtforms.form import BaseForm
from wtforms.widgets import CheckboxInput, ListWidget

from quiz.embed.flow import FIELD_PREFIX, visible_questions
from quiz.i18n import translate
from quiz.limits import MAX_LENGTH
from quiz.questions import Answers, Questionnaire, Step
from quiz.validation import (
    AD_CONSENT_PARAMETER,
    CLICK_IDS,
    CONTACT_TIMES,
    SOURCE_FIELDS,
    Consent,
    Contact,
    check_consent,
    check_contact,
    check_source,
    strip_click_ids,
)

HONEYPOT = "website"
SUITABILITY_WORDS = {
    "good": _l("Mesotherapy may be worth discussing with a practitioner"),
    "possible": _l("Mesotherapy might help a little, with realistic expectations"),
    "consult": _l("Please talk to a doctor or qualified practitioner first"),
    "not_suitable": _l("Mesotherapy is not right for you at the moment"),
}
CONTACT_TIME_LABELS = {
    "any": _l("Any time"),
    "morning": _l("Morning"),
    "afternoon": _l("Afternoon"),
    "evening": _l("Evening"),
}


def _choice(value: str, label: str):
    return SelectChoice(value, label)


class MultiCheckboxField(SelectMultipleField):
    """A multiple-choice question as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --------------------------------------------------------------------------- source


def source_from_query(args: Mapping[str, str]) -> dict[str, str]:
    """Keep the attribution fields of a query string that pass check_source; drop the rest.

    Click ids are read only when the host page says it has ad-measurement consent
    (`ad_consent=granted`, which the source then keeps); without it the page URL loses them.
    """
    consented = args.get(AD_CONSENT_PARAMETER) == "granted"
    source: dict[str, str] = {}
    for key in (*SOURCE_FIELDS, *CLICK_IDS) if consented else SOURCE_FIELDS:
        value = args.get(key)
        if not value:
            continue
        cleaned, errors = check_source({key: value})
        if not errors:
            source.update(cleaned)
    if consented:
        source[AD_CONSENT_PARAMETER] = "granted"
    elif "page_url" in source:
        source["page_url"] = strip_click_ids(source["page_url"])
    return source


# --------------------------------------------------------------------------- steps


def step_form(
    questionnaire: Questionnaire,
    step: Step,
    language: str,
    answers: Answers,
    *,
    formdata: Mapping | None = None,
    errors: Mapping[str, list[str]] | None = None,
) -> BaseForm:
    """Build the WTForms form of a step: a radio group or checkboxes per applicable question.

    With `formdata` the posted values are shown again (a step re-shown with errors keeps
    what the visitor chose); otherwise the stored answers fill it.
    """
    fields = []
    for question in visible_questions(questionnaire, step, answers):
        choices = [_choice(o.id, o.label.get(language)) for o in question.options]
        label = question.text.get(language)
        if question.type == "single":
            fields.append((question.id, RadioField(label, choices=choices)))
        else:
            fields.append((question.id, MultiCheckboxField(label, choices=choices)))
    form = BaseForm(fields, prefix=FIELD_PREFIX)
    data = {
        qid: (v[0] if questionnaire.question(qid).type == "single" else v)
        for qid, v in answers.items()
        if v
    }
    form.process(formdata=formdata if formdata else None, data=data)
    for qid, messages in (errors or {}).items():
        if qid in form:
            form[qid].errors = [translate(m) for m in messages]
    return form


def choice_options(
    field: RadioField | SelectMultipleField,
    described: str,
    *,
    cache: MutableMapping[tuple, tuple[tuple[Markup, Markup], ...]],
    key: tuple,
) -> list[tuple[Markup, Markup]]:
    """Return (input, label) markup for each option of a step's question, as WTForms draws
    them with `aria-describedby` set to `described` (when not empty).

    Drawing each option through WTForms' widgets was most of a step page's time, and only
    the checked state and the described-by ids change between visitors: the rest of each
    input and its label is drawn by WTForms once per `key` (questionnaire version, language,
    field) and kept in `cache`. WTForms sorts an input's attributes by name, so
    `aria-describedby` and `checked` come before the kept ones.
    """
    drawn = cache.get(key)
    if drawn is None:
        drawn = tuple(_drawn_option(option) for option in field)
        cache[key] = drawn
    lead = _INPUT
    if described:
        lead += Markup('aria-describedby="{}" ').format(described)
    checked = lead + _CHECKED
    return [
        ((checked if choice.selected else lead) + rest, label)
        for choice, (rest, label) in zip(field.iter_choices(), drawn, strict=True)
    ]


_INPUT = Markup("<input ")
_CHECKED = Markup("checked ")


def _drawn_option(option) -> tuple[Markup, Markup]:
    """One option drawn by WTForms unchecked: the input's attributes after `<input `, and
    the label."""
    option.checked = False
    html = option()
    if not html.startswith(_INPUT):
        raise ValueError(f"unexpected option markup: {html[:40]}")
    return html[len(_INPUT) :], option.label()


# --------------------------------------------------------------------------- contact


class ContactForm(Form):
    """Contact details, the two separate consents, marketing, a copy, and the honeypot."""

    name = StringField(
        _l("Your name"), render_kw={"autocomplete": "name", "maxlength": MAX_LENGTH["name"]}
    )
    email = EmailField(
        _l("Email address"), render_kw={"autocomplete": "email", "maxlength": MAX_LENGTH["email"]}
    )
    phone = TelField(
        _l("Phone number (optional)"),
        render_kw={"autocomplete": "tel", "maxlength": MAX_LENGTH["phone"]},
    )
    contact_time = RadioField(
        _l("When do you prefer to be contacted?"),
        choices=[_choice(t, CONTACT_TIME_LABELS[t]) for t in CONTACT_TIMES],
        default="any",
    )
    consent_contact = BooleanField(_l("I agree to be contacted about my enquiry."))
    consent_health = BooleanField(_l("I agree to my answers to these health questions being used."))
    marketing = BooleanField(_l("Send me occasional news and offers by email (optional)."))
    send_copy = BooleanField(_l("Email me a copy of my result."))
    # Real people never see or fill this; many bots fill every field they find.
    website = StringField(
        _l("Leave this field empty"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )


_CONTACT_ERRORS = {
    "contact.name": "name",
    "contact.email": "email",
    "contact.phone": "phone",
    "contact.contact_time": "contact_time",
    "consent.contact": "consent_contact",
    "consent.health_data": "consent_health",
    "consent.marketing": "marketing",
    "consent.copy": "send_copy",
}


def contact_form(clinic_name: str, formdata: Mapping | None = None) -> ContactForm:
    """Build the contact form with consent wording that names the clinic."""
    form = ContactForm(formdata=formdata if formdata else None)
    form.consent_contact.label.text = gettext(
        "I agree that %(clinic)s may contact me by email or phone about my enquiry.",
        clinic=clinic_name,
    )
    form.consent_health.label.text = gettext(
        "I agree that %(clinic)s may store and use my answers to these health questions "
        "to prepare for talking with me.",
        clinic=clinic_name,
    )
    return form


def check_contact_form(form: ContactForm) -> tuple[Contact | None, Consent | None]:
    """Check the form with the shared validators; put their messages on the fields."""
    contact, contact_errors = check_contact(
        {
            "name": form.name.data or "",
            "email": form.email.data or "",
            "phone": form.phone.data or "",
            "contact_time": form.contact_time.data or "",
        }
    )
    consent, consent_errors = check_consent(
        {
            "contact": bool(form.consent_contact.data),
            "health_data": bool(form.consent_health.data),
            "marketing": bool(form.marketing.data),
            "copy": bool(form.send_copy.data),
        }
    )
    for key, messages in {**contact_errors, **consent_errors}.items():
        target = _CONTACT_ERRORS.get(key)
        if target is not None:
            form[target].errors = [translate(m) for m in messages]
    if contact is None or consent is None:
        return None, None
    return contact, consent


def looks_automated(form: ContactForm, started: int, now: float, min_seconds: float) -> bool:
    """Tell whether a contact POST came from a bot: honeypot filled, or sent implausibly fast."""
    return bool((form.website.data or "").strip()) or now - started < min_seconds


def error_summary(form: BaseForm | Form) -> list[tuple[str, str]]:
    """Return (field id to link to, message) for every field error, in form order."""
    items = []
    for form_field in form:
        for message in form_field.errors or ():
            target = form_field.id
            if isinstance(form_field, RadioField | SelectMultipleField):
                target = f"{form_field.id}-0"
            # "Are you 18 or older? Please choose an answer." rather than "…older?: Please…".
            label = str(form_field.label.text)
            joiner = " " if label.rstrip().endswith(("?", ":", ".", "!")) else ": "
            items.append((target, f"{label}{joiner}{message}"))
    return items


SAVE_FAILED = _l(
    "We could not save your details just now, so nothing was sent. Everything you typed is "
    'still here: please press "Send my details" again in a moment.'
)


def note_save_failed(form: ContactForm) -> None:
    """Say on the form, above its fields, that sending failed and nothing was stored."""
    form.form_errors.append(SAVE_FAILED)
