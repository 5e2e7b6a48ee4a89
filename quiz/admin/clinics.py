"""Clinics for administrators: list, create, edit (branding, voice), webhook secrets, chat."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from quiz import auth, queries, services, snippets
from quiz.admin import bp, error_text
from quiz.admin.forms import ClinicForm, NotifyTestForm, SecretForm, choices
from quiz.branding import FIELDS as BRANDING_FIELDS
from quiz.headers import no_store
from quiz.i18n import translate_errors, translate_marked
from quiz.runtime import questionnaire
from quiz.services.clinic_admin import (
    SettingsError,
    rotate_webhook_secret,
    send_test_chat,
    update_clinic,
)


def _clinic_form(**kwargs) -> ClinicForm:
    form = ClinicForm(**kwargs)
    quiz = questionnaire()
    form.language.choices = choices(
        [("", gettext("Visitor's browser")), *((lang, lang) for lang in quiz.languages)]
    )
    if form.language.data is None:
        # A clinic without a language: its choice is the visitor's browser, shown as chosen.
        form.language.data = ""
    # Titles in English: the back office is not translated per clinic.
    form.hidden_content.choices = choices((c.id, c.title.get("en")) for c in quiz.content)
    return form


@bp.get("/clinics")
@auth.admin_required
def clinics():
    """List every clinic with its embed snippet."""
    rows = [(c, services.embed_snippet(c.slug)) for c in queries.list_clinics()]
    return render_template("admin/clinics.html", rows=rows)


@bp.route("/clinics/new", methods=["GET", "POST"])
@auth.admin_required
def clinic_new():
    """Create a clinic."""
    form = _clinic_form()
    if form.validate_on_submit():
        try:
            clinic = services.create_clinic(
                form.slug.data or "", form.fields(), actor=auth.signed_in_user().email
            )
        except services.ServiceError as exc:
            form.form_errors.append(error_text(exc))
        else:
            flash(gettext("Clinic %(slug)s created.", slug=clinic.slug))
            return redirect(url_for("admin.clinic_edit", slug=clinic.slug))
    return render_template("admin/clinic_form.html", form=form, clinic=None), (
        422 if form.errors or form.form_errors else 200
    )


@bp.route("/clinics/<slug>", methods=["GET", "POST"])
@auth.admin_required
def clinic_edit(slug: str):
    """Edit a clinic's settings and show its embed snippet."""
    clinic = services.get_clinic(slug)
    if clinic is None:
        abort(404)
    form = _clinic_form(
        obj=clinic,
        data={
            "origins": "\n".join(clinic.origins or []),
            "slug": clinic.slug,
            **_stored_settings(clinic),
        },
    )
    if not form.is_submitted():
        # WTForms prefers obj over data, and obj's origins are a list: show one a line, or
        # saving the page unchanged would post a list's repr back as the origins.
        form.origins.data = "\n".join(clinic.origins or [])
    if form.validate_on_submit():
        try:
            update_clinic(
                clinic, form.fields(), actor=auth.signed_in_user().email, **_settings(form)
            )
        except SettingsError as exc:
            _show_field_errors(form, exc.errors)
        except services.ServiceError as exc:
            form.form_errors.append(error_text(exc))
        else:
            flash(gettext("Clinic saved."))
            return redirect(url_for("admin.clinic_edit", slug=slug))
    return render_template(
        "admin/clinic_form.html",
        form=form,
        clinic=clinic,
        secret_form=SecretForm(),
        notify_form=NotifyTestForm(),
        **_embed_generator(clinic),
    ), (422 if form.errors or form.form_errors else 200)


def _embed_generator(clinic) -> dict:
    """The snippet generator's options (from the query), their errors, the code and a preview.

    The preview is a sample page in a srcdoc frame running the same snippet, but loaded from
    the address this page came from: the back office's policy allows scripts and frames of
    its own origin only, and PUBLIC_URL may name another.
    """
    languages = questionnaire().languages
    options, errors = snippets.check_options(request.args, languages)
    preview = render_template(
        "admin/embed_preview.html",
        clinic=clinic,
        options=options,
        snippet=services.embed_snippet(clinic.slug, options, base=request.host_url),
    )
    return {
        "snippet": services.embed_snippet(clinic.slug, options),
        "embed": options,
        "embed_errors": translate_errors(errors),
        "embed_languages": languages,
        "preview": preview,
    }


@bp.post("/clinics/<slug>/webhook-secret")
@auth.admin_required
@no_store
def clinic_webhook_secret(slug: str):
    """Generate a new webhook signing secret and show it this once."""
    form = SecretForm()
    if services.get_clinic(slug) is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    try:
        secret = rotate_webhook_secret(slug, actor=auth.signed_in_user().email)
    except services.ServiceError:
        abort(404)
    # The secret is on this page only: never stored in the session cookie.
    return render_template(
        "admin/clinic_secret.html", clinic=services.get_clinic(slug), secret=secret
    )


@bp.post("/clinics/<slug>/notify-test")
@auth.admin_required
def clinic_notify_test(slug: str):
    """Send a test message to the clinic's chat webhook now and say how it went."""
    clinic = services.get_clinic(slug)
    if clinic is None:
        abort(404)
    if NotifyTestForm().validate_on_submit():
        try:
            error = send_test_chat(clinic, actor=auth.signed_in_user().email)
        except services.ServiceError as exc:
            error = error_text(exc)
        if error is None:
            flash(gettext("Test message sent: it should appear in the chat now."))
        else:
            flash(gettext("The test message was not delivered: %(error)s", error=error))
    return redirect(url_for("admin.clinic_edit", slug=slug) + "#chat")


def _stored_settings(clinic) -> dict:
    branding = clinic.branding or {}
    settings = clinic.settings or {}
    data = {f"brand_{key}": str(branding.get(key, "")) for key in BRANDING_FIELDS}
    data.update(
        intro=settings.get("intro", ""),
        thanks=settings.get("thanks", ""),
        hidden_content=services.hidden_content(clinic),
    )
    return data


def _settings(form: ClinicForm) -> dict:
    return {
        "webhook_include_answers": form.webhook_include_answers.data,
        "branding": {key: getattr(form, f"brand_{key}").data for key in BRANDING_FIELDS},
        "voice": {
            "intro": form.intro.data,
            "thanks": form.thanks.data,
            "hidden_content": form.hidden_content.data or [],
        },
        "conversion": {
            "name": form.conversion_name.data,
            "value": form.conversion_value.data,
            "currency": form.conversion_currency.data,
        },
    }


def _show_field_errors(form: ClinicForm, errors: dict[str, list[str]]) -> None:
    # Beside the field it belongs to; anything else at the top of the form.
    for key, messages in errors.items():
        name = f"brand_{key}" if f"brand_{key}" in form else key
        if name in form:
            form[name].errors = [*form[name].errors, *map(translate_marked, messages)]
        else:
            form.form_errors.extend(map(translate_marked, messages))
