"""A person's rights, for administrators: download everything about an address, or erase it."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext

from quiz import auth
from quiz.admin import bp, error_text
from quiz.admin.forms import PersonForm
from quiz.services import ServiceError, privacy


@bp.route("/people", methods=["GET", "POST"])
@auth.admin_required
def people():
    """Answer a request of access (JSON download) or of erasure for one address."""
    form = PersonForm()
    if not form.validate_on_submit():
        return render_template("admin/people.html", form=form), 422 if form.errors else 200
    me = auth.signed_in_user()
    try:
        email = privacy.clean_email(form.email.data)
    except ServiceError as exc:
        form.email.errors.append(error_text(exc))
        return render_template("admin/people.html", form=form), 422
    if form.erase.data:
        if not form.confirm.data:
            form.confirm.errors.append(gettext("Tick the box to confirm the erasure."))
            return render_template("admin/people.html", form=form), 422
        count = privacy.erase_person(email, actor=me.email)
        flash(
            ngettext(
                "%(num)d lead erased for that address.",
                "%(num)d leads erased for that address.",
                count,
            )
        )
        return redirect(url_for("admin.people"))
    data = privacy.person_data(email, actor=me.email)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="person-data.json"'},
    )
