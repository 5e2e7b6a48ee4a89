"""The visitor's path under /embed: intro, steps, result, contact, thanks; no cookies."""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import replace

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from quiz import i18n, response_cache, services
from quiz.content import render_item
from quiz.embed import flow, forms, result_text
from quiz.extensions import csrf, limiter
from quiz.headers import allow_frame, no_store
from quiz.models import Clinic, Lead
from quiz.questions import minutes_to_answer
from quiz.runtime import questionnaire, runtime
from quiz.scoring import Result
from quiz.services import privacy, submissions
from quiz.state import QuizState, StateError, StateSigner
from quiz.theme import theme_url
from quiz.validation import AD_CONSENT_PARAMETER, Consent, Contact, check_origin

bp = Blueprint("embed", __name__, url_prefix="/embed")
# The quiz runs in cross-site iframes where the session cookie never arrives: the signed
# state token and the Fetch-Metadata check below protect these forms instead.
csrf.exempt(bp)
# The longest sealed state a step's address carries: with the rest of the request line (a
# 63-character slug at most) it stays below gunicorn's 4,094-byte limit, the strictest of the
# usual servers and proxies. The longest attribution with every option of the questionnaire
# ticked seals to about 3,350 characters; a longer state is answered in place.
MAX_SEALED_LENGTH = 3900


@bp.before_request
def _refuse_cross_site_posts():
    """Refuse a POST sent from another site (forged from a page the visitor happens to visit)."""
    if request.method != "POST":
        return
    site = request.headers.get("Sec-Fetch-Site")
    if site == "cross-site":
        abort(403)
    origin = request.headers.get("Origin")
    if site is None and origin is not None and check_origin(origin) not in _own_origins():
        abort(403)


@bp.errorhandler(StateError)
def _bad_state(exc: StateError):
    clinic = (
        services.visitor_clinic(request.view_args.get("clinic", "")) if request.view_args else None
    )
    if clinic is None:
        abort(404)
    _frame(clinic)
    language = i18n.pick_language(
        questionnaire().languages, request.args.get("lang"), clinic.language
    )
    context = _context(clinic, None, language, event="")
    return render_template("embed/restart.html", expired=exc.expired, **context), 400


@bp.get("/<clinic>")
def intro(clinic: str):
    """Show the intro and a Start button; the page is the same for every visitor."""
    found = _clinic(clinic)
    quiz = questionnaire()
    language = i18n.pick_language(quiz.languages, request.args.get("lang"), found.language)
    source = forms.source_from_query(request.args)
    services.record_event(found, "view", source=source)
    # The same page answers the same request for a few seconds; each such visit is a view.
    response_cache.reuse_response(services.replay_event(found, "view", source=source))
    return _intro_page(found, language, source)


def _intro_page(clinic: Clinic, language: str, source: dict[str, str]) -> str:
    """Render the intro, reusing a render of the last few seconds for the same clinic,
    language and attribution: it is the page every visit of every clinic's site loads."""
    ttl = current_app.config["CLINIC_CACHE_SECONDS"]
    key = (clinic.slug, language, tuple(sorted(source.items())))
    cache = runtime().intro_cache
    hit = cache.get(key, max_age=ttl) if ttl > 0 else None
    if hit is not None:
        return hit
    # No run id or start time yet: the Start button gives each visitor their own.
    state = QuizState(
        clinic=clinic.slug, language=language, step=-1, source=source, run_id="", started=0
    )
    page = render_template(
        "embed/intro.html",
        intro=(clinic.settings or {}).get("intro"),
        minutes=minutes_to_answer(questionnaire(), language),
        **_context(clinic, state, language, event="view"),
    )
    if ttl > 0:
        cache.put(key, page)
    return page


@bp.post("/<clinic>/step")
@no_store
def step(clinic: str):
    """Take one step's answers, then send the browser to the next step, the same step again
    or the result (a 303 to its address), so that its back button never resubmits a form."""
    found = _clinic(clinic)
    state = _state(found)
    if state.step < 0 and not state.run_id:
        state = replace(state, run_id=secrets.token_urlsafe(16), started=int(time.time()))
    quiz = questionnaire()
    move = flow.advance(
        quiz, state.answers, state.step, request.form.get("action", "next"), request.form
    )
    starting = state.step < 0
    if starting:
        services.record_event(found, "start", source=state.source)
    state = state.with_answers(move.answers, move.step)
    if move.finished:
        _count_finish(found, state)
    elif move.changed_step:
        services.record_event(found, "step", step=quiz.steps[move.step].id, source=state.source)
    if move.errors:
        # A missing answer: the same step with what to fix, the posted choices kept.
        return _step_page(found, state, formdata=request.form, errors=move.errors), 422
    state = replace(state, revealed=move.revealed)
    sealed = _signer().dumps(state)
    if len(sealed) > MAX_SEALED_LENGTH:
        # Too long for every server and proxy to take in a request line: answer in place.
        return _screen(found, state, event="start" if starting else "step")
    return redirect(url_for("embed.shown_step", clinic=found.slug, state=sealed), 303)


@bp.get("/<clinic>/step")
@no_store
def shown_step(clinic: str):
    """Show the step (or result) a sealed state token in the address points at.

    Only a POST to the step records anything: going back and forward here counts nothing.
    """
    found = _clinic(clinic)
    state = _signer().loads(request.args.get("state", ""), found.slug)
    i18n.use_language(state.language)
    if state.step < 0:
        return redirect(url_for("embed.intro", clinic=found.slug, lang=state.language), 303)
    return _screen(found, state, event="step")


@bp.post("/<clinic>/contact")
@limiter.limit(lambda: current_app.config["ASSESSMENT_RATE_LIMIT"])
@no_store
def contact(clinic: str):
    """Store a lead from the contact form, or show the form again with what to fix."""
    found = _clinic(clinic)
    state = _state(found)
    if not flow.answers_complete(questionnaire(), state.answers):
        raise StateError("This quiz page could not be verified.")
    result = submissions.assess(found, state.answers)
    form = forms.contact_form(found.name, request.form)
    if not result.store_lead or request.form.get("action") == "skip":
        # Nothing may be stored for this result (or the visitor chose not to share details).
        _submit(found, state, result, None, None)
        return _result_page(found, state, result, form=None)
    now = time.time()
    if forms.looks_automated(form, state.started, now, current_app.config["QUIZ_MIN_FILL_SECONDS"]):
        # Same page a person gets, so the bot learns nothing; nothing is stored or counted.
        return _thanks_page(found, state, result)
    person, consent = forms.check_contact_form(form)
    if person is None or consent is None:
        return _details_again(found, state, result, form), 422
    try:
        lead = _submit(found, state, result, person, consent)
    except services.DatabaseUnavailable:
        # Show the same form, everything typed kept, so sending again is one click. The same
        # run, contact and answers make a retry after a lost reply harmless.
        forms.note_save_failed(form)
        return _details_again(found, state, result, form), 503
    token = privacy.erasure_token(lead) if lead is not None else None
    return _thanks_page(found, state, result, forget_token=token)


@bp.route("/<clinic>/forget/<token>", methods=["GET", "POST"])
@no_store
def forget(clinic: str, token: str):
    """Let a visitor delete the details they left: a confirmation page, then the erasure.

    The link only asks on GET (mail scanners and link previews follow links); the POST erases.
    """
    found = _clinic(clinic)
    language = i18n.pick_language(
        questionnaire().languages, request.args.get("lang"), found.language
    )
    context = _context(found, None, language, event="")
    if request.method == "GET":
        return render_template("embed/forget.html", erase_token=token, done=None, **context)
    try:
        count = privacy.erase_by_token(token)
    except privacy.ErasureTokenError as exc:
        return render_template(
            "embed/forget.html", error=i18n.translate(exc.message), **context
        ), 400
    return render_template("embed/forget.html", done=count, **context)


@bp.get("/<clinic>/content/<content_id>")
def content(clinic: str, content_id: str):
    """Show an educational page, inside the frame or on its own."""
    found = _clinic(clinic)
    quiz = questionnaire()
    item = quiz.content_item(content_id)
    if item is None or content_id in services.hidden_content(found):
        abort(404)
    language = i18n.pick_language(quiz.languages, request.args.get("lang"), found.language)
    return render_template(
        "embed/content.html",
        item=item,
        page=render_item(quiz, item, language),
        **_context(found, None, language, event=""),
    )


# --------------------------------------------------------------------------- helpers


def _clinic(slug: str) -> Clinic:
    found = services.visitor_clinic(slug)
    if found is None:
        abort(404)
    _frame(found)
    return found


def _frame(clinic: Clinic) -> None:
    g.frame_ancestors = ["'self'", *(clinic.origins or [])]


def _own_origins() -> set[str | None]:
    origins = {check_origin(request.host_url)}
    if current_app.config.get("PUBLIC_URL"):
        origins.add(check_origin(current_app.config["PUBLIC_URL"]))
    origins.discard(None)
    return origins


def _signer() -> StateSigner:
    return _signer_for(current_app.secret_key, current_app.config["QUIZ_TOKEN_MAX_AGE"])


@functools.lru_cache(maxsize=8)
def _signer_for(secret_key: str, max_age: int) -> StateSigner:
    """One signer per key and lifetime: building one derives its key with HKDF, which each
    step paid once or twice a request."""
    return StateSigner(secret_key, max_age)


def _state(clinic: Clinic) -> QuizState:
    state = _signer().loads(request.form.get("state", ""), clinic.slug)
    # The visitor's language travels in the state, so every later page keeps it.
    i18n.use_language(state.language)
    return state


def _context(
    clinic: Clinic,
    state: QuizState | None,
    language: str,
    *,
    event: str,
    step: int | None = None,
    steps: int | None = None,
) -> dict:
    """What every /embed template needs: the clinic, the token, the layout's data hooks."""
    quiz = questionnaire()
    i18n.use_language(language)
    if steps is None and state is not None:
        steps = len(flow.applicable_steps(quiz, state.answers))
    return {
        "clinic": clinic,
        "lang": language,
        "token": _signer().dumps(state) if state is not None else None,
        "theme_url": theme_url(clinic) if clinic.branding else None,
        # widget.js posts these body attributes to the host page: progress only, never
        # anything derived from the answers.
        "quiz_event": event,
        "quiz_step": step,
        "quiz_steps": steps,
        "questionnaire": quiz,
    }


def _screen(clinic: Clinic, state: QuizState, *, event: str):
    """Render the screen a state points at: a step, or once finished the result or form."""
    if state.step >= len(questionnaire().steps):
        return _finish_page(clinic, state)
    return _step_page(clinic, state, event=event)


def _step_page(
    clinic: Clinic,
    state: QuizState,
    *,
    formdata=None,
    errors: dict[str, list[str]] | None = None,
    event: str = "step",
) -> str:
    """Render a step from the state's answers, or from the posted ones with their errors."""
    quiz = questionnaire()
    current = quiz.steps[state.step]
    form = forms.step_form(
        quiz, current, state.language, state.answers, formdata=formdata, errors=errors
    )
    number, total = flow.progress(quiz, state.answers, state.step)
    cache = runtime().choice_markup

    def options(field, described: str):
        key = (quiz.version, state.language, field.name)
        return forms.choice_options(field, described, cache=cache, key=key)

    # widget.js tells the host page a step 1 reached from the intro is the "start".
    return render_template(
        "embed/step.html",
        step=current,
        form=form,
        options=options,
        questions={q.id: q for q in flow.visible_questions(quiz, current, state.answers)},
        summary=forms.error_summary(form),
        revealed=state.revealed,
        number=number,
        total=total,
        first=number == 1,
        **_context(clinic, state, state.language, event=event, step=number, steps=total),
    )


def _count_finish(clinic: Clinic, state: QuizState) -> None:
    """Count the run as complete when it ends on the result (not the form before it)."""
    result = submissions.assess(clinic, state.answers)
    if _result_first(clinic, result):
        submissions.count_completion(
            clinic, result, state.source, lead_may_follow=result.store_lead
        )


def _finish_page(clinic: Clinic, state: QuizState):
    """Render the end of the quiz: the result (with the form when a lead may follow), or the
    contact form first when the clinic asks for details before the result."""
    result = submissions.assess(clinic, state.answers)
    if not _result_first(clinic, result):
        return _contact_page(clinic, state, forms.contact_form(clinic.name))
    form = forms.contact_form(clinic.name) if result.store_lead else None
    return _result_page(clinic, state, result, form=form)


def _result_first(clinic: Clinic, result: Result) -> bool:
    """Tell whether the visitor sees the result before the contact form (which counts the run
    as complete there): unless the clinic asks for details first and the result allows them."""
    return clinic.contact_timing != "before" or not result.store_lead


def _submit(
    clinic: Clinic,
    state: QuizState,
    result: Result,
    contact: Contact | None,
    consent: Consent | None,
) -> Lead | None:
    if consent is not None:
        # Ad-measurement consent is the host page's to give (embed.js), carried in the run.
        consent = replace(consent, ads=state.source.get(AD_CONSENT_PARAMETER) == "granted")
    return submissions.submit_assessment(
        clinic,
        result,
        language=state.language,
        source=state.source,
        contact=contact,
        consent=consent,
        run_id=state.run_id,
        counted=_result_first(clinic, result),
    )


def _details_again(clinic: Clinic, state: QuizState, result: Result, form: forms.ContactForm):
    """The contact form once more, where the visitor had it: alone, or under the result."""
    if _result_first(clinic, result):
        return _result_page(clinic, state, result, form=form)
    return _contact_page(clinic, state, form)


def _contact_page(clinic: Clinic, state: QuizState, form: forms.ContactForm):
    """The contact form before the result, with the way to the result without sending."""
    return render_template(
        "embed/contact.html",
        form=form,
        summary=forms.error_summary(form),
        skip=True,
        **_context(clinic, state, state.language, event="step"),
    )


def _result_page(
    clinic: Clinic, state: QuizState, result: Result, *, form: forms.ContactForm | None
):
    return render_template(
        "embed/result.html",
        result=result,
        words=forms.SUITABILITY_WORDS[result.suitability],
        layout=_layout(result, state.language),
        booking_url=_booking_url(clinic, result),
        form=form,
        summary=forms.error_summary(form) if form is not None else [],
        **_context(clinic, state, state.language, event="complete"),
    )


def _booking_url(clinic: Clinic, result: Result) -> str | None:
    """The clinic's booking link when this result is offered one (https links only)."""
    url = clinic.booking_url or ""
    return (
        url
        if url.startswith("https://") and result_text.offers_booking(result.suitability)
        else None
    )


def _layout(result: Result, language: str) -> result_text.ResultLayout:
    return result_text.layout(result.outcome.text.get(language), result.suitability, result.content)


def _thanks_page(
    clinic: Clinic, state: QuizState, result: Result, *, forget_token: str | None = None
):
    booking_url = _booking_url(clinic, result)
    # The clinic's own booking page in a frame: this page's CSP allows that one origin only.
    booking_frame = bool(booking_url and clinic.booking_inline and allow_frame(booking_url))
    return render_template(
        "embed/thanks.html",
        result=result,
        words=forms.SUITABILITY_WORDS[result.suitability],
        layout=_layout(result, state.language),
        booking_url=booking_url,
        booking_frame=booking_frame,
        thanks=(clinic.settings or {}).get("thanks"),
        show_result=clinic.contact_timing == "before",
        forget_token=forget_token,
        **_context(clinic, state, state.language, event="lead"),
    )
