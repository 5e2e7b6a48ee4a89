"""The analytics page: funnel, drop-off, mixes and sources as SVG charts with tables."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext

from quiz import auth, queries
from quiz.admin import bp
from quiz.admin.forms import AnalyticsFilterForm, choices


@bp.get("/analytics")
def analytics():
    """Show a clinic's (or every clinic's) figures for a date range."""
    scope = auth.scope_of(auth.signed_in_user())
    form = AnalyticsFilterForm(formdata=request.args)
    form.clinic.choices = choices([("", gettext("All clinics")), *queries.clinic_choices(scope)])
    ignored = []
    form.validate()
    for name, errors in form.errors.items():
        ignored.append(
            gettext(
                "Ignored the %(filter)s filter: %(error)s",
                filter=str(form[name].label.text).lower(),
                error=errors[0],
            )
        )
        form[name].data = None
        form[name].raw_data = []
    selected = (
        scope,
        form.clinic.data or None if scope.everything else None,
        form.date_from.data,
        form.date_to.data,
    )
    return render_template(
        "admin/analytics.html",
        form=form,
        ignored=ignored,
        figures=queries.analytics(*selected),
        over_time=queries.leads_over_time(*selected),
        campaigns=queries.campaign_figures(*selected),
        speed=queries.follow_up_speed(*selected),
        lost=queries.lost_reasons(*selected),
    )
