"""Deliveries that gave up (mail or webhook), with a button to try again now."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from quiz import auth, queries
from quiz.admin import bp, error_text
from quiz.admin.forms import ActionForm
from quiz.services import ServiceError, outbox


@bp.get("/deliveries")
def deliveries():
    """List the failed deliveries the signed-in user may see."""
    rows = queries.failed_deliveries(auth.scope_of(auth.signed_in_user()))
    return render_template("admin/deliveries.html", rows=rows, action_form=ActionForm())


@bp.post("/deliveries/<int:delivery_id>/retry")
def delivery_retry(delivery_id: int):
    """Make a failed delivery due now (another clinic's is a 404)."""
    if queries.get_delivery(auth.scope_of(auth.signed_in_user()), delivery_id) is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            outbox.retry_now(delivery_id)
        except ServiceError as exc:
            text = error_text(exc)
            # Only the first letter: capitalize() would lower-case German nouns.
            flash(text[:1].upper() + text[1:] + ".")
        else:
            flash(gettext("The delivery will be tried again within a minute."))
    return redirect(url_for("admin.deliveries"))
