"""Mail: build the clinic's new-lead notice and the visitor's copy, and send them over SMTP."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template

from quiz.mail_texts import phrases
from quiz.models import Clinic, Lead
from quiz.questions import Questionnaire

log = logging.getLogger("quiz.mail")

TIMEOUT_SECONDS = 10
# Used when PUBLIC_URL is unset: the worker has no request to learn the origin from, and this
# is where `make run` serves the app.
FALLBACK_PUBLIC_URL = "http://127.0.0.1:5000"


class MailError(Exception):
    """A mail that could not be handed to the mail server; the message says why."""


def public_url() -> str:
    """Return the quiz's public origin for links in mails."""
    return current_app.config.get("PUBLIC_URL") or FALLBACK_PUBLIC_URL


def clinic_message(lead: Lead, clinic: Clinic, quiz: Questionnaire) -> EmailMessage:
    """Build the notice of a new lead for the clinic: who and how to reach them, no answers."""
    t = _phrases(lead, clinic)
    area = next((a for a in quiz.areas if a.id == lead.top_area), None)
    context = {
        "t": t,
        "clinic": clinic,
        "lead": lead,
        "suitability": t.get(lead.suitability, lead.suitability),
        "top_concern": area.label.get(lead.language) if area else None,
        "contact_time": t.get(lead.contact_time, lead.contact_time) if lead.contact_time else None,
        "lead_url": f"{public_url()}/admin/leads/{lead.public_id}",
    }
    message = _message(
        to=clinic.email or "",
        subject=t["clinic_subject"],
        template="mail/new_lead",
        context=context,
    )
    # Replying goes straight to the visitor, the quickest way for the clinic to answer.
    message["Reply-To"] = lead.email
    return message


def visitor_message(
    lead: Lead, clinic: Clinic, quiz: Questionnaire, health: Mapping
) -> EmailMessage:
    """Build the copy of a visitor's own result: outcome, reasons and pages to read."""
    language = lead.language
    outcome = quiz.outcome(lead.outcome_id)
    title = outcome.title.get(language) if outcome else health.get("outcome_title", "")
    base = f"{public_url()}/embed/{clinic.slug}/content"
    content = []
    for content_id in health.get("content", []):
        item = quiz.content_item(content_id)
        if item is not None:
            content.append(
                {
                    "title": item.title.get(language),
                    "summary": item.summary.get(language),
                    "url": f"{base}/{item.id}?lang={language}",
                }
            )
    reasons = [r["text"] for r in health.get("reasons", []) if r.get("text")]
    t = _phrases(lead, clinic)
    context = {
        "t": t,
        "clinic": clinic,
        "lead": lead,
        "outcome_title": title,
        "outcome_text": outcome.text.get(language) if outcome else "",
        "reasons": reasons,
        "content": content,
    }
    message = _message(
        to=lead.email,
        subject=t["visitor_subject"],
        template="mail/visitor_copy",
        context=context,
    )
    if clinic.email:
        message["Reply-To"] = clinic.email
    return message


def _phrases(lead: Lead, clinic: Clinic) -> dict[str, str]:
    return {
        key: text.format(name=lead.name, clinic=clinic.name)
        for key, text in phrases(lead.language).items()
    }


def _message(*, to: str, subject: str, template: str, context: dict) -> EmailMessage:
    if not to:
        raise MailError("no recipient address")
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_sender_domain())
    # .txt templates are not autoescaped (plain text), .html ones are.
    message.set_content(render_template(f"{template}.txt", **context))
    message.add_alternative(render_template(f"{template}.html", **context), subtype="html")
    return message


def _sender_domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rpartition("@")[2].strip(" >") or "localhost"


def readable(message: EmailMessage) -> str:
    """Return the whole message as a person reads it: headers, then each part decoded."""
    lines = [f"{name}: {value}" for name, value in message.items() if name != "Content-Type"]
    for part in message.walk():
        if part.is_multipart():
            continue
        lines += ["", f"--- {part.get_content_type()} ---", part.get_content().rstrip()]
    return "\n".join(lines)


def send(message: EmailMessage) -> None:
    """Hand a message to MAIL_SERVER, or write it to the log when no server is configured."""
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        log.info("mail not sent (MAIL_SERVER unset):\n%s", readable(message))
        return
    try:
        with smtplib.SMTP(server, config["MAIL_PORT"], timeout=TIMEOUT_SECONDS) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except TimeoutError:
        raise MailError(f"mail server {server} did not answer within {TIMEOUT_SECONDS} s") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"mail server {server}: {exc.__class__.__name__}: {exc}") from None
