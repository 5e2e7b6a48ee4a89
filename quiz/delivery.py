"""The outbox worker: claim due deliveries, send each mail or webhook, reschedule failures.

Delivery is at least once. A claim marks a row as taken by pushing its next_attempt_at one
lease (DELIVERY_LEASE_SECONDS, 60 by default) into the future (and counting the attempt)
and commits before any network I/O. While the worker sends, a thread renews the lease of
the rows it still holds every third of a lease, so a slow receiver never lets another
worker take a row that is being sent; a worker that dies stops renewing, its rows come due
again when the lease ends, and they are sent again with the same event id, so receivers can
drop duplicates.

On PostgreSQL the claim reads with FOR UPDATE SKIP LOCKED, so any number of workers can run
side by side. On SQLite the claim runs under BEGIN IMMEDIATE, which serialises claims; run a
single worker there (several would be correct but only queue on the write lock).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from quiz import chat, mailer, webhooks
from quiz.database import separate_write_transaction, write_transaction
from quiz.extensions import db
from quiz.models import Clinic, Delivery, Lead, utcnow
from quiz.runtime import questionnaire
from quiz.services import accounts, privacy, reminders
from quiz.services.assessments import read_health_data
from quiz.services.common import ServiceError
from quiz.services.outbox import ensure_secret, queue_key
from quiz.urls import public_url

log = logging.getLogger("quiz.delivery")

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
JITTER = 0.2
# Receivers down for a day (a weekend deploy, an expired certificate) still get their leads.
GIVE_UP_AFTER = timedelta(hours=24)
BATCH = 20


@dataclass
class Counts:
    """What one pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}"


class _Permanent(Exception):
    """A delivery that can never succeed as it stands (its target was removed)."""


def backoff(attempts: int) -> timedelta:
    """Return the wait after the `attempts`-th failed attempt: doubling from 30 s, capped, ±20 %."""
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)
    # Jitter spreads retries of many deliveries to one receiver; not a security use.
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311  # nosec B311


def claim(now: datetime, limit: int = BATCH, *, only: int | None = None) -> list[tuple[int, int]]:
    """Take up to `limit` due deliveries (or just delivery `only`) for one lease.

    Return (id, attempts) of each.
    """
    query = (
        db.select(Delivery)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if only is not None:
        query = query.where(Delivery.id == only)
    with write_transaction() as session:
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.execute(query).scalars())
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + lease()
        return [(row.id, row.attempts) for row in rows]


def lease() -> timedelta:
    """Return how long a claim holds a row before another worker may take it."""
    return timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])


class _Renewal:
    """The rows a worker holds, whose lease a background thread keeps pushing forward."""

    def __init__(self, claimed: list[tuple[int, int]], now: datetime):
        self.held = dict(claimed)
        self._now = now
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def release(self, delivery_id: int) -> None:
        """Stop renewing a row: its attempt was recorded."""
        with self._lock:
            self.held.pop(delivery_id, None)

    def renew(self, seconds: float) -> None:
        """Hold every row still held for one more lease from now.

        Only a row this claim still owns (same attempt count, still pending) is touched: one
        whose lease ran out and another worker took stays theirs. Time runs from the claim's
        `now`, so a pass given a time of its own renews on the same clock.
        """
        until = self._now + timedelta(seconds=time.monotonic() - self._started + seconds)
        with self._lock:
            held = list(self.held.items())
        if not held:
            return
        with separate_write_transaction() as connection:
            for delivery_id, attempts in held:
                connection.execute(
                    update(Delivery)
                    .where(
                        Delivery.id == delivery_id,
                        Delivery.attempts == attempts,
                        Delivery.status == "pending",
                    )
                    .values(next_attempt_at=until)
                )


@contextmanager
def renewing(claimed: list[tuple[int, int]], now: datetime):
    """Keep the lease of claimed rows renewed, every third of a lease, until the block ends."""
    renewal = _Renewal(claimed, now)
    seconds = current_app.config["DELIVERY_LEASE_SECONDS"]
    stop = threading.Event()
    thread = threading.Thread(
        target=_renew_until,
        args=(current_app._get_current_object(), renewal, seconds, stop),
        name="delivery-lease",
        daemon=True,
    )
    thread.start()
    try:
        yield renewal
    finally:
        stop.set()
        thread.join()


def _renew_until(app: Flask, renewal: _Renewal, seconds: float, stop: threading.Event) -> None:
    with app.app_context():
        while not stop.wait(seconds / 3):
            try:
                renewal.renew(seconds)
            except SQLAlchemyError as exc:
                # The next renewal may get through; a lease that does run out means at most
                # a second send, with the same event id.
                log.warning("delivery lease not renewed: %s", exc.__class__.__name__)


def run_once(now: datetime | None = None, stop: threading.Event | None = None) -> Counts:
    """Send every delivery due at `now` (default: the current time) and return the counts."""
    now = now or utcnow()
    counts = Counts()
    while not (stop and stop.is_set()):
        claimed = claim(now)
        if not claimed:
            break
        with renewing(claimed, now) as renewal:
            for delivery_id, attempts in claimed:
                outcome = deliver(delivery_id, attempts, now)
                renewal.release(delivery_id)
                setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts


def send_now(delivery_id: int) -> tuple[str, str | None]:
    """Send one delivery at once, for a command or a page that reports the result.

    Return the outcome ("sent", "retrying", "failed", or "queued" when a worker holds it)
    and the error of a failed attempt. A delivery that fails is retried as any other.
    """
    now = utcnow()
    claimed = claim(now, 1, only=delivery_id)
    if not claimed:
        return "queued", None
    with renewing(claimed, now):
        outcome = deliver(delivery_id, claimed[0][1], now)
    row = db.session.get(Delivery, delivery_id)
    return outcome, (row.last_error if row is not None and outcome != "sent" else None)


def deliver(delivery_id: int, attempts: int, now: datetime) -> str:
    """Send one claimed delivery and record the result: "sent", "retrying" or "failed"."""
    error: str | None = None
    permanent = False
    try:
        send = _prepare(delivery_id)
        # The read transaction of _prepare ends here: nothing is held open while we wait on
        # a mail server or a receiver.
        db.session.rollback()
        if send is not None:
            send()
    except (_Permanent, mailer.UnsendableMail) as exc:
        error, permanent = str(exc), True
    except (mailer.MailError, webhooks.WebhookError, ServiceError) as exc:
        error = str(exc)
    except Exception as exc:
        # One bad row must not stop the worker; it is retried and then marked failed.
        error = f"unexpected error: {exc.__class__.__name__}: {exc}"
        log.error("delivery %s: %s", delivery_id, error)
    return _record(delivery_id, attempts, now, error, permanent)


def _prepare(delivery_id: int):
    """Load a delivery and return a callable that sends it (None: nothing left to send)."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        return None
    if delivery.channel in accounts.CHANNELS:
        return _account_mail(delivery)
    if delivery.channel == "reminder":
        return _reminder_mail(delivery)
    lead = db.session.get(Lead, delivery.lead_id) if delivery.lead_id else None
    clinic = db.session.get(Clinic, delivery.clinic_id) if delivery.clinic_id else None
    if lead is None or clinic is None:
        raise _Permanent("the lead or clinic was deleted")
    quiz = questionnaire()
    if delivery.channel == "email":
        if not clinic.email:
            raise _Permanent("the clinic has no email address any more")
        message = mailer.clinic_message(lead, clinic, quiz)
        return lambda: mailer.send(message)
    if delivery.channel == "visitor_email":
        message = mailer.visitor_message(lead, clinic, quiz, read_health_data(lead))
        return lambda: mailer.send(message)
    if delivery.channel == "webhook":
        url = clinic.webhook_url
        if not url:
            raise _Permanent("the clinic has no webhook URL any more")
        body = webhooks.encode(
            webhooks.build_payload(delivery, lead, clinic, read_health_data(lead))
        )
        secret = clinic.webhook_secret or ensure_secret(clinic.id)
        return _post(url, body, webhooks.signed_headers(secret, delivery.event_id, body))
    if delivery.channel == "chat":
        url = clinic.notify_url
        if not url:
            raise _Permanent("the clinic has no chat webhook any more")
        text = chat.new_lead_text(clinic.name, clinic.staff_language)
        link = f"{public_url()}/admin/leads/{lead.public_id}"
        body = webhooks.encode(chat.message(url, text, link))
        return _post(url, body, {"Content-Type": "application/json"})
    raise _Permanent(f"unknown channel {delivery.channel!r}")


def _post(url: str, body: bytes, headers: dict):
    """Return the guarded POST of a webhook or chat message (quiz.webhooks.post)."""
    config = current_app.config
    allow_private = bool(config["WEBHOOK_ALLOW_PRIVATE"])
    timeout = float(config["WEBHOOK_TIMEOUT"])
    return lambda: webhooks.post(url, body, headers, allow_private=allow_private, timeout=timeout)


def _account_mail(delivery: Delivery):
    """Make the link an invitation or reset mail carries, and return its send."""
    try:
        link = accounts.issue_link(delivery.id)
    except accounts.LinkNotNeeded as exc:
        raise _Permanent(str(exc)) from None
    message = mailer.account_message(
        link.email,
        link.purpose,
        f"{public_url()}/admin/password/new?token={link.token}",
        clinic_name=link.clinic_name,
        language=link.language,
        hours=accounts.LINK_HOURS,
    )
    return lambda: _send_link(message, link.token)


def _reminder_mail(delivery: Delivery):
    """Build a reminder digest of the leads it names that are still new; None if none is."""
    clinic = db.session.get(Clinic, delivery.clinic_id) if delivery.clinic_id else None
    if clinic is None:
        raise _Permanent("the clinic was deleted")
    if delivery.user_id is not None:
        user = delivery.user
        if user is None or not user.active:
            raise _Permanent("the account is disabled")
        to = user.email
    elif clinic.email:
        to = clinic.email
    else:
        raise _Permanent("the clinic has no email address any more")
    public_ids = list((delivery.payload or {}).get("leads") or [])
    # Contacted or erased since the digest was queued: no longer worth a reminder.
    waiting = db.session.execute(
        db.select(Lead.public_id, Lead.created_at)
        .where(Lead.clinic_id == clinic.id, Lead.public_id.in_(public_ids), Lead.status == "new")
        .order_by(Lead.created_at, Lead.id)
    ).all()
    if not waiting:
        return None
    base = public_url()
    items = [
        (f"{base}/admin/leads/{public_id}", f"{created:%Y-%m-%d %H:%M}")
        for public_id, created in waiting
    ]
    all_link = f"{base}/admin/leads?status=new"
    message = mailer.reminder_message(to, clinic, items, all_link)
    return lambda: mailer.send(message)


def _send_link(message, token: str) -> None:
    """Send an account mail; a link whose mail did not go out is withdrawn at once."""
    try:
        mailer.send(message)
    except mailer.MailError:
        # The retry makes a new link; this one stays unknown to anyone but must not linger.
        accounts.withdraw_link(token)
        raise


def _record(
    delivery_id: int, attempts: int, now: datetime, error: str | None, permanent: bool
) -> str:
    with write_transaction() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            return "failed"
        if error is None:
            delivery.status = "sent"
            delivery.sent_at = utcnow()
            delivery.last_error = None
            log.info("delivery %s (%s) sent", delivery_id, delivery.channel)
            return "sent"
        delivery.last_error = error[:500]
        if delivery.attempts != attempts or delivery.status != "pending":
            # Our lease ran out and another worker took the row: its schedule wins.
            return "retrying"
        if permanent or now - delivery.created_at >= GIVE_UP_AFTER:
            delivery.status = "failed"
            log.warning("delivery %s (%s) failed: %s", delivery_id, delivery.channel, error)
            return "failed"
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        log.info(
            "delivery %s (%s) attempt %s failed, retrying at %s: %s",
            delivery_id,
            delivery.channel,
            delivery.attempts,
            delivery.next_attempt_at.isoformat(timespec="seconds"),
            error,
        )
        return "retrying"


def run_forever(
    poll_seconds: float,
    stop: threading.Event | None = None,
    idle: threading.Event | None = None,
) -> None:
    """Run passes until `stop` is set, waking early when a new delivery is announced.

    `idle` is set while the worker only waits, so a signal handler knows it may interrupt
    at once rather than let a send finish.
    """
    stop = stop or threading.Event()
    idle = idle or threading.Event()
    client = _redis_client(poll_seconds)
    last_purge: datetime | None = None
    last_remind: datetime | None = None
    while not stop.is_set():
        try:
            last_purge = purge_if_due(last_purge)
            last_remind = remind_if_due(last_remind)
            counts = run_once(stop=stop)
        except SQLAlchemyError as exc:
            # The database may be restarting: say so in one line and try again next poll.
            log.error("database unavailable: %s", str(exc).splitlines()[0])
            counts = Counts()
        finally:
            db.session.remove()
        if counts.sent or counts.retrying or counts.failed:
            log.info("pass: %s", counts)
        if stop.is_set():
            break
        idle.set()
        try:
            client = _wait(client, poll_seconds, stop)
        finally:
            idle.clear()


PURGE_EVERY = timedelta(days=1)


def purge_if_due(last_run: datetime | None, now: datetime | None = None) -> datetime | None:
    """Delete leads past the retention period once a day; return when the purge last ran.

    Several workers may each purge: deleting what is already gone is harmless.
    """
    now = now or utcnow()
    if last_run is not None and now - last_run < PURGE_EVERY:
        return last_run
    count = privacy.purge_expired(now=now, actor="worker")
    if count:
        log.info("retention purge: %d leads older than %d days deleted", count, _retention_days())
    return now


REMIND_EVERY = timedelta(hours=1)


def remind_if_due(last_run: datetime | None, now: datetime | None = None) -> datetime | None:
    """Queue reminder digests of overdue leads once an hour; return when that last ran.

    Several workers may each run it: a lead is claimed for the day by one of them only.
    """
    now = now or utcnow()
    if last_run is not None and now - last_run < REMIND_EVERY:
        return last_run
    result = reminders.remind(now)
    if result.digests:
        log.info("reminders: %s", result)
    return now


def _retention_days() -> int:
    return current_app.config["LEAD_RETENTION_DAYS"]


def _redis_client(poll_seconds: float) -> redis.Redis | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    # BLPOP holds the socket for up to poll_seconds; the read timeout must outlast it.
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=poll_seconds + 5)


def _wait(client: redis.Redis | None, poll_seconds: float, stop: threading.Event):
    """Wait for an announcement (Redis) or for the next poll; return the client to keep using."""
    if client is None:
        stop.wait(poll_seconds)
        return None
    try:
        woken = client.blpop([queue_key()], timeout=poll_seconds)
        if woken is not None:
            # The pass that follows claims everything due, so the rest of the queue is only
            # repeated wake-ups; anything announced after this point stays queued.
            client.delete(queue_key())
    except redis.RedisError as exc:
        log.warning("Redis unavailable (%s); polling every %s s", exc, poll_seconds)
        stop.wait(poll_seconds)
    return client
