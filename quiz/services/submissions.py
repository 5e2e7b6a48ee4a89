"""Submitting an assessment, the one way for the quiz's contact form and the API alike: score
the answers for the clinic, store the lead when contact details and both consents come with
a result that allows one, and count the run in the funnel.

The funnel's rule for "complete" and "lead" lives here. A run counts as complete once, when
its visitor first gets the result, and as a lead when its lead is stored; the funnel must
never show more leads than completions. Funnel events wait in a per-process buffer
(services/funnel.py) that a lead, written at once, would outrun, and that a worker dying
loses. So a "complete" that a lead may still follow is never left in that buffer:

- when the result and the lead come in one request (the API, or a contact form the clinic
  shows before the result), the "complete" is written in the lead's own transaction;
- when a result page offers the contact form, its "complete" is written before the page,
  and so the form, reaches the visitor;
- only a completion no lead can follow (no details sent, a result that stores none, the
  visitor chose to see the result without sending details) waits in the buffer.

A quiz run may send details more than once (the back button, a shared device). The same
contact and answers again are the same lead; the same person with changed answers or
details is a new lead that corrects the first; someone else is a lead of their own. Only a
run's first lead is counted in the funnel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict

from flask import current_app

from quiz.models import Clinic, Lead
from quiz.runtime import questionnaire
from quiz.scoring import Result, score
from quiz.services.assessments import record_assessment
from quiz.services.common import hidden_content
from quiz.services.funnel import record_event
from quiz.validation import Consent, Contact


def assess(clinic: Clinic, answers: Mapping[str, Iterable[str]]) -> Result:
    """Score checked answers for a clinic, leaving out the content it chose not to show."""
    return score(questionnaire(), answers, hidden_content=hidden_content(clinic))


def count_completion(
    clinic: Clinic, result: Result, source: dict[str, str], *, lead_may_follow: bool
) -> None:
    """Count a run as complete when its visitor gets the result and no lead is stored with it.

    `lead_may_follow` (the page offers the contact form) writes it at once, so that the lead
    that may follow can never be counted before it.
    """
    record_event(clinic, "complete", result=result, source=source, buffered=not lead_may_follow)


def submit_assessment(
    clinic: Clinic,
    result: Result,
    *,
    language: str,
    source: dict[str, str],
    contact: Contact | None,
    consent: Consent | None,
    submission_id: str | None = None,
    run_id: str | None = None,
    counted: bool = False,
) -> Lead | None:
    """Store the lead when contact details and both consents come with a result that allows
    one, and return it; otherwise store nothing and return None.

    The run is counted complete too, unless `counted` (a result page shown earlier in this
    run counted it): in the lead's own transaction, or through the buffer when no lead is
    stored. The same `submission_id` twice stores one lead; a quiz run (`run_id`, without a
    submission id) stores one lead per distinct contact and answers sent, each correcting
    the same person's earlier one. Raises DatabaseUnavailable, with nothing stored, when the
    database cannot take the lead.
    """
    if contact is not None and consent is not None and result.store_lead:
        if submission_id is None:
            submission_id = run_submission_id(run_id or "", contact, consent, result)
        return record_assessment(
            clinic,
            result,
            contact=contact,
            consent=consent,
            source=source,
            language=language,
            submission_id=submission_id,
            complete_event=not counted,
            run_id=run_id,
        )
    if not counted:
        count_completion(clinic, result, source, lead_may_follow=False)
    return None


def run_submission_id(run_id: str, contact: Contact, consent: Consent, result: Result) -> str:
    """Return the submission id of what a quiz run sent: its run id and a keyed digest.

    The digest covers the contact details, consents and answers, so sending them again finds
    the same lead and any change makes a new one. Keyed with the app's secret, because a
    plain hash of a few answers could be reversed by trying them all: it must say nothing
    of the health data the lead keeps encrypted.
    """
    sent = {
        "contact": asdict(contact),
        "consent": asdict(consent),
        "answers": {k: sorted(v) for k, v in result.answers.items()},
    }
    message = json.dumps(sent, sort_keys=True, ensure_ascii=True).encode()
    key = str(current_app.secret_key).encode("utf-8", "surrogatepass")
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()
    # 64 characters in all: a run id of at most 22 characters, a colon, the digest's start.
    return f"{run_id[:22]}:{digest[: 63 - len(run_id[:22])]}"
