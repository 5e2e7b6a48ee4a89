"""The lead list with filters and export, and a lead's detail page with its timeline."""

from __future__ import annotations

import dataclasses
import os

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext

from quiz import auth, queries
from quiz.admin import bp, error_text
from quiz.admin.forms import (
    AssignForm,
    ConversionsForm,
    ExportForm,
    LeadFilterForm,
    NoteForm,
    StatusForm,
    choices,
)
from quiz.i18n import translate
from quiz.models import utcnow
from quiz.reporting import conversions_file, start_export
from quiz.services import ServiceError, leadwork, read_health_data
from quiz.validation import CLICK_IDS


def _filter_form(
    scope: auth.Scope, user
) -> tuple[LeadFilterForm, queries.LeadFilters, int, list[str]]:
    """Read the filters from the query string, dropping (and reporting) any nonsense value."""
    form = LeadFilterForm(formdata=request.args)
    clinics = queries.clinic_choices(scope)
    form.clinic.choices = choices([("", gettext("All clinics")), *clinics])
    form.outcome.choices = choices(
        [("", gettext("Any")), *((o, o.replace("_", " ")) for o in queries.outcome_ids())]
    )
    ignored = []
    form.validate()
    for name, errors in form.errors.items():
        field = form[name]
        ignored.append(
            gettext(
                "Ignored the %(filter)s filter: %(error)s",
                filter=str(field.label.text).lower(),
                error=errors[0],
            )
        )
        field.data = field.default
        field.raw_data = []
    data = form.data

    def text(key: str) -> str | None:
        value = (data.get(key) or "").strip()
        return value or None

    filters = queries.LeadFilters(
        clinic=text("clinic") if scope.everything else None,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        suitability=text("suitability"),
        outcome=text("outcome"),
        status=text("status"),
        utm_source=text("utm_source"),
        utm_campaign=text("utm_campaign"),
        click_id=text("click_id"),
        q=text("q"),
        lost_reason=text("lost_reason"),
        assigned=text("assigned"),
        me=user.id,
        latest_only=(data.get("view") or "person") == "person",
        sort=text("sort") or "created",
    )
    return form, filters, data.get("page") or 1, ignored


@bp.get("/leads")
def leads():
    """List leads, newest first, filtered and paged."""
    user = auth.signed_in_user()
    scope = auth.scope_of(user)
    form, filters, page, ignored = _filter_form(scope, user)
    result = queries.list_leads(scope, filters, page=page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/leads.html",
        form=form,
        page=result,
        ignored=ignored,
        args=args,
        export_form=ExportForm(),
        conversions_form=_conversions_form(scope),
        quiz=queries.questionnaire(),
        area_label=queries.area_label,
        show_clinic=scope.everything,
    )


@bp.post("/leads/export")
def export():
    """Download exactly the filtered leads as CSV or XLSX, recording the export."""
    user = auth.signed_in_user()
    scope = auth.scope_of(user)
    form = ExportForm()
    if not form.validate_on_submit():
        flash(gettext("Choose CSV or XLSX to export."))
        return redirect(url_for("admin.leads", **request.args))
    _, filters, _, ignored = _filter_form(scope, user)
    # An export holds every lead that matches, a returning visitor's earlier ones too.
    filters = dataclasses.replace(filters, latest_only=False)
    for message in ignored:
        flash(message)
    fmt = form.format.data
    export = start_export(scope, filters, fmt=fmt, actor=user.email, user_id=user.id)
    name = f"leads-{utcnow():%Y%m%d-%H%M%S}.{fmt}"
    if fmt == "csv":
        chunks = (chunk.encode("utf-8") for chunk in export.csv_chunks())
        response = Response(stream_with_context(chunks), mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    path = export.xlsx_file()
    # Open, then unlink at once: the open handle streams the file and nothing is left on disk
    # whether the download finishes or the client goes away.
    handle = open(path, "rb")  # noqa: SIM115  (closed by the response)
    os.unlink(path)
    return send_file(
        handle,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=name,
    )


def _conversions_form(scope: auth.Scope) -> ConversionsForm:
    form = ConversionsForm(prefix="conversions")
    form.clinic.choices = choices([("", gettext("All clinics")), *queries.clinic_choices(scope)])
    return form


@bp.post("/leads/conversions")
def conversions():
    """Download an ad platform's offline conversions (leads with ad consent only), audited."""
    user = auth.signed_in_user()
    scope = auth.scope_of(user)
    form = _conversions_form(scope)
    if not form.validate_on_submit():
        for name, field_errors in form.errors.items():
            label = form[name].label.text if name in form else ""
            flash(f"{label}: {field_errors[0]}" if label else str(field_errors[0]))
        return redirect(url_for("admin.leads"))
    platform = form.platform.data
    text, _ = conversions_file(
        scope,
        platform,
        status=form.status.data,
        clinic=form.clinic.data or None,
        since=form.since.data,
        actor=user.email,
    )
    meta = platform == "meta"
    name = f"conversions-{platform}-{utcnow():%Y%m%d-%H%M%S}.{'jsonl' if meta else 'csv'}"
    mimetype = "application/x-ndjson" if meta else "text/csv; charset=utf-8"
    response = Response(text.encode("utf-8"), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _lead_or_404(public_id: str):
    lead = queries.get_lead(auth.scope_of(auth.signed_in_user()), public_id)
    if lead is None:
        abort(404)
    return lead


@bp.get("/leads/<public_id>")
def lead(public_id: str):
    """Show one lead: contact, consents, answers as asked, scores, source and timeline."""
    found = _lead_or_404(public_id)
    return _render_lead(found, _status_form(found), NoteForm())


def _status_form(found, **kw) -> StatusForm:
    return StatusForm(
        status=found.status, reason=found.lost_reason or "", reason_text=found.lost_note, **kw
    )


def _assign_form(found, formdata=None) -> AssignForm:
    form = AssignForm(formdata=formdata, assignee=str(found.assignee_id or ""))
    staff = queries.clinic_staff(found.clinic_id)
    form.assignee.choices = choices([("", gettext("Nobody")), *((str(i), e) for i, e in staff)])
    return form


def _render_lead(found, status_form, note_form, code: int = 200, assign_form=None):
    try:
        health = read_health_data(found)
    except ValueError:
        # Encrypted under a key that is no longer configured: show everything else.
        health = {"answers": {}, "scores": {}, "reasons": [], "content": []}
        flash(translate(queries.UNREADABLE_NOTE))
    quiz = queries.questionnaire_at(found.questionnaire_version)
    current = queries.questionnaire()
    content = []
    for content_id in health.get("content", []):
        item = current.content_item(content_id) or quiz.content_item(content_id)
        content.append(item.title.get(found.language) if item else content_id)
    return render_template(
        "admin/lead.html",
        lead=found,
        health=health,
        answers=queries.answered(quiz, health.get("answers", {}), found.language),
        scores=[
            (queries.area_label(quiz, area, found.language), value)
            for area, value in sorted(health.get("scores", {}).items(), key=lambda kv: -kv[1])
        ],
        content=content,
        top_concern=queries.area_label(quiz, found.top_area, found.language),
        timeline=queries.timeline(found),
        status_form=status_form,
        note_form=note_form,
        assign_form=assign_form or _assign_form(found),
        earlier=queries.earlier_visit(found),
        version_known=quiz.version == found.questionnaire_version,
        click_ids=CLICK_IDS,
    ), code


@bp.post("/leads/<public_id>/status")
def lead_status(public_id: str):
    """Change a lead's status and return to it."""
    found = _lead_or_404(public_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render_lead(found, form, NoteForm(), 422)
    try:
        changed = leadwork.change_status(
            found,
            form.status.data,
            auth.signed_in_user(),
            reason=form.reason.data,
            reason_text=form.reason_text.data,
        )
    except ServiceError as exc:
        # A missing or unclear reason belongs beside the reason fields; the rest by the status.
        target = form.reason if str(exc).startswith("reason") else form.status
        target.errors = [error_text(exc)]
        return _render_lead(found, form, NoteForm(), 422)
    flash(gettext("Status updated.") if changed else gettext("The status was already that."))
    return redirect(url_for("admin.lead", public_id=public_id))


@bp.post("/leads/<public_id>/notes")
def lead_note(public_id: str):
    """Add a note to a lead and return to it."""
    found = _lead_or_404(public_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            leadwork.add_note(found, form.body.data, auth.signed_in_user())
        except ServiceError as exc:
            form.body.errors = [error_text(exc)]
        else:
            flash(gettext("Note added."))
            return redirect(url_for("admin.lead", public_id=public_id) + "#timeline")
    return _render_lead(found, _status_form(found), form, 422)


@bp.post("/leads/<public_id>/assign")
def lead_assign(public_id: str):
    """Give a lead to a staff member of its clinic (or to nobody) and return to it."""
    found = _lead_or_404(public_id)
    form = _assign_form(found, request.form)
    if form.validate_on_submit():
        raw = (form.assignee.data or "").strip()
        # "" is nobody; anything but an account id names no one, which the service refuses.
        assignee = None if raw == "" else int(raw) if raw.isdigit() and len(raw) < 10 else 0
        try:
            changed = leadwork.assign(found, assignee, auth.signed_in_user())
        except ServiceError as exc:
            form.assignee.errors = [error_text(exc)]
        else:
            flash(gettext("Assignment saved.") if changed else gettext("Already assigned so."))
            return redirect(url_for("admin.lead", public_id=public_id))
    return _render_lead(found, _status_form(found), NoteForm(), 422, assign_form=form)
