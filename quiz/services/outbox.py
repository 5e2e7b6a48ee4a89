"""The outbox seen from the rest of the app: wake the worker, list and retry failures, secrets."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterable

import redis
from flask import current_app

from quiz.database import write_transaction
from quiz.extensions import db
from quiz.messages import N_
from quiz.models import Clinic, Delivery, utcnow
from quiz.services.common import ServiceError

log = logging.getLogger("quiz.delivery")


def queue_key() -> str:
    """Return the Redis list the worker blocks on (tests use a key of their own)."""
    return current_app.config["DELIVERY_QUEUE_KEY"]


def announce(delivery_ids: Iterable[int]) -> None:
    """Wake a waiting worker for these new deliveries; call it after their transaction commits.

    Without REDIS_URL there is nothing to wake: the worker finds them at its next poll.
    A Redis failure is logged, never raised, for the same reason.
    """
    ids = [int(i) for i in delivery_ids]
    url = current_app.config.get("REDIS_URL")
    if not ids or not url:
        return
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.rpush(queue_key(), *ids)
        finally:
            client.close()
    except redis.RedisError as exc:
        log.warning("could not announce deliveries %s: %s", ids, exc)


def generate_secret() -> str:
    """Return a new webhook signing secret: whsec_ and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def ensure_secret(clinic_id: int) -> str:
    """Return the clinic's webhook secret, generating one if it has none yet."""
    with write_transaction() as session:
        clinic = session.get(Clinic, clinic_id)
        if clinic is None:
            raise ServiceError(N_("that clinic no longer exists"))
        if not clinic.webhook_secret:
            clinic.webhook_secret = generate_secret()
        return clinic.webhook_secret


def retry_now(delivery_id: int) -> Delivery:
    """Make a failed or waiting delivery due now and wake the worker.

    A delivery older than the retry window gets one more attempt: if that fails it is
    marked failed again.
    """
    with write_transaction() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            raise ServiceError(N_("no such delivery"))
        if delivery.status == "sent":
            raise ServiceError(N_("this delivery was already sent"))
        delivery.status = "pending"
        delivery.next_attempt_at = utcnow()
    announce([delivery_id])
    return delivery


def retry_all_failed() -> int:
    """Make every failed delivery due now; return how many."""
    now = utcnow()
    with write_transaction() as session:
        # Chosen inside the write transaction, so a delivery that a worker moves meanwhile is
        # neither counted nor announced.
        failed = list(session.scalars(db.select(Delivery).where(Delivery.status == "failed")))
        for delivery in failed:
            delivery.status = "pending"
            delivery.next_attempt_at = now
        ids = [delivery.id for delivery in failed]
    announce(ids)
    return len(ids)
