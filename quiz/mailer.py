"""Mail: build the clinic's new-lead notice, the visitor's copy and the account links, and
send them over SMTP."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template

from quiz.mail_texts import account_phrases, phrases, reminder_phrases
from quiz.models import Clinic, Lead
from quiz.questions import Questionnaire
from quiz.urls import public_url
from quiz.validation import mail_address, text_problem

log = logging.getLogger("quiz.mail")

TIMEOUT_SECONDS = 10


class MailError(Exception):
    """A mail that could not be handed to the mail server; the message says why."""


class UnsendableMail(MailError):
    """A mail that can never be sent as it stands (no valid recipient); retrying cannot help."""


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
        to=_address(clinic.email, "the clinic's address"),
        subject=t["clinic_subject"],
        template="mail/new_lead",
        context=context,
    )
    # Replying goes straight to the visitor, the quickest way for the clinic to answer. A lead
    # stored before addresses were checked this strictly still reaches the clinic, without it.
    try:
        message["Reply-To"] = _address(lead.email, "the visitor's address")
    except UnsendableMail:
        log.warning("lead %s: no Reply-To, the visitor's address is not valid", lead.public_id)
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
        to=_address(lead.email, "the visitor's address"),
        subject=t["visitor_subject"],
        template="mail/visitor_copy",
        context=context,
    )
    if clinic.email:
        message["Reply-To"] = _address(clinic.email, "the clinic's address")
    return message


def account_message(
    to: str, purpose: str, link: str, *, clinic_name: str | None, language: str, hours: int
) -> EmailMessage:
    """Build the mail with a link to choose a password: an invitation or a reset.

    It holds the link and nothing else of the account; the clinic's name is only in the body.
    """
    t = account_phrases(language)
    t = {
        key: text.format(clinic=clinic_name or t["every_clinic"], hours=hours)
        for key, text in t.items()
    }
    context = {"t": t, "purpose": purpose, "link": link, "language": language}
    return _message(
        to=_address(to, "the account's address"),
        subject=t[f"{purpose}_subject"],
        template="mail/account_link",
        context=context,
    )


def reminder_message(
    to: str, clinic: Clinic, leads: list[tuple[str, str]], all_link: str
) -> EmailMessage:
    """Build a reminder digest: the clinic's name and a link per overdue lead, nothing else.

    `leads` are (link, received at) pairs; no name, contact detail or answer is in the mail.
    """
    hours = f"{clinic.follow_up_hours:g}"
    t = {
        key: text.format(clinic=clinic.name, hours=hours, when="{when}")
        for key, text in reminder_phrases(clinic.language).items()
    }
    items = [(link, t["lead"].format(when=when)) for link, when in leads]
    return _message(
        to=_address(to, "the reminder's recipient"),
        subject=t["subject"],
        template="mail/reminder",
        context={"t": t, "items": items, "all_link": all_link, "language": clinic.language},
    )


def _phrases(lead: Lead, clinic: Clinic) -> dict[str, str]:
    return {
        key: text.format(name=lead.name, clinic=clinic.name)
        for key, text in phrases(lead.language).items()
    }


def _address(value: str | None, whose: str) -> Address:
    """Parse exactly one address into the object the header is built from; never a raw string.

    The error names whose address it is, not the address: it is stored and shown in the back
    office's deliveries.
    """
    address = mail_address(value)
    if address is None:
        raise UnsendableMail(f"{whose} is not one valid email address")
    username, _, domain = address.rpartition("@")
    return Address(username=username, domain=domain)


def _header_text(value: str) -> str:
    """Return text for an unstructured header, refusing what a mail reader would decode.

    Visitor text is kept out of headers altogether; this guards the clinic's name, which the
    Subject carries, whatever the Python build (some wrote decoded encoded words verbatim).
    """
    if text_problem(value) is not None:
        raise UnsendableMail("the subject would hold a control character or an encoded word")
    return value


def _message(*, to: Address, subject: str, template: str, context: dict) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = _header_text(subject)
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


def recipient(message: EmailMessage) -> str:
    """Return the one envelope recipient of a message: its To address; MailError otherwise."""
    if message["Cc"] is not None or message["Bcc"] is not None:
        raise UnsendableMail("a mail goes to its one To address only, never to Cc or Bcc")
    header = message["To"]
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    address = mail_address(addresses[0].addr_spec) if len(addresses) == 1 else None
    if address is None:
        raise UnsendableMail("a mail needs exactly one valid To address")
    return address


def send(message: EmailMessage) -> None:
    """Hand a message to MAIL_SERVER, or write it to the log when no server is configured."""
    to = recipient(message)
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
            # Explicit: smtplib would otherwise gather recipients from every address header.
            smtp.send_message(message, to_addrs=[to])
    except TimeoutError:
        raise MailError(f"mail server {server} did not answer within {TIMEOUT_SECONDS} s") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"mail server {server}: {exc.__class__.__name__}: {exc}") from None
