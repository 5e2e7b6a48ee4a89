"""Routes of /api/v1: parse the request, call one function, answer JSON."""

from __future__ import annotations

from flask import current_app, jsonify, request

from quiz.api import assessments, bp, leads
from quiz.extensions import limiter
from quiz.headers import no_store
from quiz.openapi import build_document


@bp.get("/quiz", provide_automatic_options=False)
def quiz():
    """Return the questionnaire for a clinic in the requested (or the clinic's) language."""
    return jsonify(assessments.quiz_for(request.args.get("clinic"), request.args.get("lang")))


@bp.post("/assessments", endpoint="assessments", provide_automatic_options=False)
@limiter.limit(lambda: current_app.config["ASSESSMENT_RATE_LIMIT"])
@no_store
def assessments_create():
    """Score an assessment; store a lead when contact and both consents are given."""
    status, body = assessments.submit(
        request.get_data(cache=False),
        request.headers.get("Idempotency-Key"),
        request.headers.get("Authorization"),
    )
    return jsonify(body), status


@bp.route("/quiz", methods=["OPTIONS"], endpoint="quiz_preflight")
def quiz_preflight():
    """Answer a browser's CORS preflight for the questionnaire."""
    return "", 204


@bp.route("/assessments", methods=["OPTIONS"], endpoint="assessments_preflight")
def assessments_preflight():
    """Answer a browser's CORS preflight for submitting an assessment."""
    return "", 204


@bp.get("/leads", provide_automatic_options=False)
@no_store
def leads_list():
    """Return a page of the token's clinic's leads, oldest first."""
    clinic = leads.clinic_for(request.headers.get("Authorization"))
    return jsonify(leads.leads_page(clinic, request.args))


@bp.get("/openapi.json", provide_automatic_options=False)
def openapi():
    """Return the OpenAPI 3.1 description of this API."""
    return jsonify(build_document())
