"""The outbox worker: claims, leases, backoff, giving up, concurrency, Redis wake-ups, the CLI."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta

import pytest
import redis

from quiz import delivery, queries, webhooks
from quiz.auth import Scope
from quiz.extensions import db
from quiz.models import Delivery, utcnow
from quiz.services import outbox
from quiz.services.common import ServiceError
from tests.servers import wait_for

SECRET = outbox.generate_secret()


@pytest.fixture
def app_config(app_config):
    app_config.update(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT=1.0, REDIS_URL=None)
    return app_config


@pytest.fixture
def hook_clinic(make_clinic, receiver):
    return make_clinic(webhook_url=receiver.url(), webhook_secret=SECRET)


def _row(lead) -> Delivery:
    db.session.rollback()
    return db.session.execute(db.select(Delivery).filter_by(lead_id=lead.id)).scalar_one()


def test_run_once_with_nothing_due_does_nothing(hook_clinic, make_lead, receiver):
    lead = make_lead(hook_clinic)
    counts = delivery.run_once(utcnow() - timedelta(minutes=1))
    assert (counts.sent, counts.retrying, counts.failed) == (0, 0, 0)
    row = _row(lead)
    assert (row.status, row.attempts) == ("pending", 0)
    assert receiver.hits == []


def test_backoff_grows_after_each_failure(hook_clinic, make_lead, receiver):
    receiver.behaviour.fail_first = 100
    lead = make_lead(hook_clinic)
    now = _row(lead).created_at
    delays = []
    for attempt in range(1, 6):
        counts = delivery.run_once(now)
        assert counts.retrying == 1
        row = _row(lead)
        assert row.attempts == attempt
        delay = (row.next_attempt_at - now).total_seconds()
        expected = 30 * 2 ** (attempt - 1)
        assert expected * 0.8 <= delay <= expected * 1.2
        delays.append(delay)
        now = row.next_attempt_at
    assert delays == sorted(delays) and len(set(delays)) == len(delays)
    assert "HTTP 500" in _row(lead).last_error


def test_backoff_is_capped_at_an_hour():
    for attempts in (8, 12, 40):
        assert delivery.backoff(attempts) <= timedelta(hours=1.2)
        assert delivery.backoff(attempts) >= timedelta(hours=0.8)


def test_delivery_is_failed_after_a_day_of_failures(hook_clinic, make_lead, receiver):
    receiver.behaviour.fail_first = 1000
    lead = make_lead(hook_clinic)
    created = _row(lead).created_at
    now = created
    while _row(lead).status == "pending":
        delivery.run_once(now)
        now = max(_row(lead).next_attempt_at, now)
        assert now - created < timedelta(hours=26), "should have given up after 24 h"
    row = _row(lead)
    assert row.status == "failed"
    assert "HTTP 500" in row.last_error
    assert now - created >= timedelta(hours=24)
    assert [d.id for d in queries.failed_deliveries(Scope(everything=True))] == [row.id]
    assert queries.failed_deliveries(Scope(everything=False, clinic_id=hook_clinic.id + 1)) == []


def test_retry_now_sends_a_failed_delivery_again(hook_clinic, make_lead, receiver):
    receiver.behaviour.fail_first = 1
    lead = make_lead(hook_clinic)
    row = _row(lead)
    delivery.run_once(row.created_at + timedelta(hours=25))
    assert _row(lead).status == "failed"
    outbox.retry_now(row.id)
    assert _row(lead).status == "pending"
    counts = delivery.run_once()
    assert counts.sent == 1
    assert _row(lead).status == "sent"
    assert receiver.hits_per_event() == {row.event_id: 2}


def test_retry_now_refuses_unknown_or_sent_deliveries(hook_clinic, make_lead):
    lead = make_lead(hook_clinic)
    delivery.run_once()
    with pytest.raises(ServiceError, match="already sent"):
        outbox.retry_now(_row(lead).id)
    with pytest.raises(ServiceError, match="no such delivery"):
        outbox.retry_now(999_999)


def test_the_lease_is_a_minute_unless_configured(app):
    assert delivery.lease() == timedelta(seconds=60)
    app.config["DELIVERY_LEASE_SECONDS"] = 7
    assert delivery.lease() == timedelta(seconds=7)


@pytest.mark.parametrize("seconds", [60, 5])
def test_a_worker_killed_mid_send_leaves_the_row_for_after_the_lease(
    app, hook_clinic, make_lead, receiver, seconds
):
    app.config["DELIVERY_LEASE_SECONDS"] = seconds
    lease = timedelta(seconds=seconds)
    lead = make_lead(hook_clinic)
    now = utcnow()
    claimed = delivery.claim(now)  # ... and the worker dies before sending
    assert [c[0] for c in claimed] == [_row(lead).id]
    assert _row(lead).next_attempt_at == now + lease

    early = delivery.run_once(now + lease - timedelta(seconds=1))
    assert early.sent == 0
    assert receiver.hits == []

    late = delivery.run_once(now + lease + timedelta(seconds=1))
    assert late.sent == 1
    row = _row(lead)
    assert (row.status, row.attempts) == ("sent", 2)
    assert receiver.hits_per_event() == {row.event_id: 1}
    assert delivery.run_once(now + timedelta(days=1)).sent == 0


def test_a_late_failure_does_not_undo_a_newer_claim(hook_clinic, make_lead, receiver):
    lead = make_lead(hook_clinic)
    now = utcnow()
    [(delivery_id, attempts)] = delivery.claim(now)
    # The lease ran out and another worker claimed the row again.
    delivery.claim(now + delivery.lease() + timedelta(seconds=1))
    receiver.behaviour.fail_first = 1
    assert delivery.deliver(delivery_id, attempts, now) == "retrying"
    row = _row(lead)
    assert row.attempts == 2
    assert row.next_attempt_at == now + 2 * delivery.lease() + timedelta(seconds=1)


def test_a_live_slow_send_keeps_its_lease(app, hook_clinic, make_lead, receiver):
    """A receiver slower than the lease: the worker renews it, and no other worker sends."""
    app.config.update(DELIVERY_LEASE_SECONDS=3, WEBHOOK_TIMEOUT=60)
    receiver.behaviour.hang_seconds = 60  # until released below
    lead = make_lead(hook_clinic)
    now = utcnow()
    outcome: dict = {}

    def worker():
        with app.app_context():
            outcome["counts"] = delivery.run_once(now)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert wait_for(lambda: len(receiver.hits) == 1, 30)
        # Renewed a third of a lease after the claim: held past the first lease's end.
        renewed = now + timedelta(seconds=3.9)
        assert wait_for(lambda: _row(lead).next_attempt_at >= renewed, 30)
        # Another worker, after the first lease ran out, finds nothing to take.
        assert delivery.claim(now + timedelta(seconds=3.5)) == []
    finally:
        receiver._release.set()
        thread.join(60)
    assert outcome["counts"].sent == 1
    row = _row(lead)
    assert (row.status, row.attempts) == ("sent", 1)
    assert receiver.hits_per_event() == {row.event_id: 1}


def test_renewal_leaves_a_row_another_worker_took(app, hook_clinic, make_lead):
    lead = make_lead(hook_clinic)
    now = utcnow()
    claimed = delivery.claim(now)
    later = now + delivery.lease() + timedelta(seconds=1)
    delivery.claim(later)  # the lease ran out and another worker took the row
    delivery._Renewal(claimed, now).renew(60)
    assert _row(lead).next_attempt_at == later + delivery.lease()


def test_two_workers_never_send_the_same_delivery_twice(app, hook_clinic, make_lead, receiver):
    leads = [make_lead(hook_clinic) for _ in range(24)]
    now = utcnow()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work():
        try:
            with app.app_context():
                start.wait()
                delivery.run_once(now)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    hits = receiver.hits_per_event()
    assert len(hits) == len(leads)
    assert set(hits.values()) == {1}
    db.session.rollback()
    statuses = db.session.execute(db.select(Delivery.status)).scalars().all()
    assert statuses == ["sent"] * len(leads)


def test_deliveries_of_a_deleted_target_are_failed_not_retried(hook_clinic, make_lead, receiver):
    lead = make_lead(hook_clinic)
    hook_clinic.webhook_url = None
    db.session.commit()
    counts = delivery.run_once()
    assert counts.failed == 1
    assert _row(lead).last_error == "the clinic has no webhook URL any more"


# --------------------------------------------------------------------------- Redis

REDIS_URL = os.environ.get("REDIS_URL")


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL unset")
def test_announce_wakes_a_waiting_worker_before_its_poll(app, hook_clinic, make_lead, receiver):
    key = f"quiz:test:deliveries:{uuid.uuid4()}"
    app.config.update(REDIS_URL=REDIS_URL, DELIVERY_QUEUE_KEY=key)
    stop, idle = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def work():
        try:
            with app.app_context():
                # A poll far longer than the test: only an announcement can wake it.
                delivery.run_forever(600, stop=stop, idle=idle)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert wait_for(idle.is_set, 30)
        lead = make_lead(hook_clinic)
        outbox.announce([_row(lead).id])
        assert wait_for(lambda: receiver.hits, 30)
        assert wait_for(lambda: _row(lead).status == "sent", 30)
        assert receiver.hits_per_event() == {_row(lead).event_id: 1}
    finally:
        stop.set()
        outbox.announce([0])  # wakes the worker so it sees the stop
        worker.join(30)
        redis.Redis.from_url(REDIS_URL).delete(key)
    assert not worker.is_alive()
    assert errors == []


def test_announce_without_redis_is_a_no_op(app):
    outbox.announce([1, 2])  # nothing to wake; must not raise


# --------------------------------------------------------------------------- CLI


def test_deliver_once_prints_a_summary(app, hook_clinic, make_lead, receiver):
    lead = make_lead(hook_clinic)
    result = app.test_cli_runner().invoke(args=["deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "sent 1, retrying 0, failed 0"
    hit = receiver.hits[0]
    assert webhooks.verify(SECRET, hit.headers, hit.body)
    assert _row(lead).status == "sent"


def test_deliver_retry_failed_makes_failed_rows_due(app, hook_clinic, make_lead, receiver):
    receiver.behaviour.fail_first = 1
    lead = make_lead(hook_clinic)
    delivery.run_once(_row(lead).created_at + timedelta(hours=25))
    assert _row(lead).status == "failed"
    result = app.test_cli_runner().invoke(args=["deliver", "--retry-failed", "--once"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "1 failed deliveries made due again",
        "sent 1, retrying 0, failed 0",
    ]


def test_deliver_rejects_a_bad_poll_without_a_traceback(app):
    result = app.test_cli_runner().invoke(args=["deliver", "--poll", "soon"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "--poll" in result.output


def test_worker_purges_expired_leads_once_a_day(app, make_clinic, make_lead):
    from datetime import timedelta

    from quiz.delivery import purge_if_due
    from quiz.models import Lead

    clinic = make_clinic()
    old, fresh = make_lead(clinic), make_lead(clinic)
    days = app.config["LEAD_RETENTION_DAYS"]
    old.created_at = utcnow() - timedelta(days=days + 1)
    db.session.commit()
    fresh_id = fresh.id
    now = utcnow()
    assert purge_if_due(None, now) == now
    assert [lead.id for lead in db.session.execute(db.select(Lead)).scalars()] == [fresh_id]
    db.session.get(Lead, fresh_id).created_at = utcnow() - timedelta(days=days + 1)
    db.session.commit()
    # Within the day nothing more runs; a day later the purge runs again.
    assert purge_if_due(now, now + timedelta(hours=23)) == now
    assert db.session.execute(db.select(Lead)).scalars().all() != []
    later = now + timedelta(days=1)
    assert purge_if_due(now, later) == later
    assert db.session.execute(db.select(Lead)).scalars().all() == []
