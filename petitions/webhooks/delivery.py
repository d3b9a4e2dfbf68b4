"""Recording and sending webhook messages, off the request that made the event.

Nothing here runs in a signer's request. When a signature (RSVP, check-in, unsubscribe)
is committed, core.signals calls `announce`, which only hands the event on:

- with REDIS_URL, as an RQ job on the "webhooks" queue (the deployment's worker runs it);
- without, to a small pool of threads in this process (WEBHOOKS_THREADS), as mail does.

The job then builds the message once per subscribed webhook (payloads.py), stores it as a
WebhookDelivery, commits, and sends each one. A send is one POST, with at most
WEBHOOKS_TIMEOUT_SECONDS for the endpoint to answer, so a slow or dead endpoint holds up
only the worker or thread that waits for it, never the sign form.

A failed attempt (no connection, a timeout, an answer other than 2xx) is retried later
with the same webhook-id, after each delay of RETRY_SECONDS in turn, then given up. The
retries are found by the due-work check mail already has (petitions.mail.mailings.run_due,
through registry.register_due): the app runs it about once a minute, RQ's scheduler and
`flask --app wsgi mail due` too. With RQ a retry is also scheduled on the queue at its
time. A delivery is claimed before it is sent (a conditional UPDATE, as mail claims a
mailing), so two workers finding the same due retry send it once.

Events announced while no webhook is active cost a look at a set kept in this process
(`subscribed`), refreshed every WEBHOOKS_EVENTS_CACHE_SECONDS and at once in the process
that adds or removes a webhook.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import insert, select, update
from standardwebhooks import Webhook as Signer

from petitions.core.extensions import db
from petitions.core.tokens import new_token
from petitions.models import Webhook, WebhookAttempt, WebhookDelivery, WebhookStatus
from petitions.models.base import utcnow
from petitions.webhooks import endpoints, payloads

log = logging.getLogger(__name__)

EVENTS = ("signature.created", "attendance.created", "checkin.created", "person.unsubscribed")
# Seconds to wait after each failed attempt: the first retry within a minute, the last
# about a day after the event; then the message is given up.
RETRY_SECONDS = (30, 300, 1800, 7200, 18000, 36000, 36000)
QUEUE_NAME = "webhooks"
EXTENSION = "petitions.webhooks"
BATCH = 500  # events recorded per transaction at most, by a thread that finds many waiting
GATHER_SECONDS = 0.2


def retry_schedule() -> tuple[float, ...]:
    return tuple(
        float(s) for s in current_app.config.get("WEBHOOKS_RETRY_SECONDS") or RETRY_SECONDS
    )


def message_id() -> str:
    return "msg_" + new_token()


# --- which events anyone listens to ----------------------------------------------------


class _State:
    def __init__(self):
        self.events: frozenset[str] = frozenset()
        self.until = 0.0
        self.lock = threading.Lock()


def _state(app: Flask) -> _State:
    return app.extensions[EXTENSION]


def subscribed(app: Flask) -> frozenset[str]:
    """The event types some active webhook takes (kept for a few seconds). Reads with a
    connection of its own: it is asked inside the session's commit."""
    state = _state(app)
    if time.monotonic() < state.until:  # the usual answer
        return state.events
    with state.lock:
        if time.monotonic() >= state.until:
            with db.engine.connect() as conn:
                rows = conn.scalars(select(Webhook.events).where(Webhook.active.is_(True)))
                state.events = frozenset(e for row in rows for e in row.split(",") if e)
            ttl = float(app.config.get("WEBHOOKS_EVENTS_CACHE_SECONDS") or 0)
            state.until = time.monotonic() + ttl
    return state.events


def forget_subscriptions(app: Flask | None = None) -> None:
    """After adding or removing a webhook: this process looks again at once."""
    _state(app or current_app._get_current_object()).until = 0.0


# --- announcing an event (in the request, after its commit) ----------------------------


def announce(app: Flask, event_type: str, data: dict) -> None:
    """Hand the event on, if some webhook takes it; never waits for anything slow."""
    if event_type not in subscribed(app):
        return
    config = app.config
    if redis_url := config.get("REDIS_URL"):
        try:
            _queue(redis_url).enqueue(
                "petitions.webhooks.delivery.record",
                event_type,
                data,
                # Links in the message name the host of this request, as in a thread
                # (PUBLIC_BASE_URL, when set, wins anyway).
                request.host_url if has_request_context() else None,
                job_timeout=600,
                result_ttl=0,
                failure_ttl=86400,
                description=f"webhook {event_type}",
            )
            return
        except Exception:  # Redis down: record it from here rather than not at all
            log.exception("could not queue a webhook event on RQ; recording it in-process")
    _pool(app).put(("record", event_type, data))


def _queue(redis_url: str):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))


# --- recording (in a worker or a thread) -----------------------------------------------


def record(
    event_type: str, data: dict, base_url: str | None = None, send: bool = True
) -> list[int]:
    """Store the event's message for each active webhook that takes it, commit, then send
    them (RQ: one job each). The new deliveries' ids."""
    if base_url and not has_request_context():
        with current_app.test_request_context("/", base_url=base_url):
            ids = _record_many([(event_type, data)])
    else:
        ids = _record_many([(event_type, data)])
    if send:
        for delivery_id in ids:
            start(delivery_id)
    return ids


def _record_many(events: list[tuple[str, dict]]) -> list[int]:
    hooks = db.session.execute(select(Webhook.id, Webhook.events).where(Webhook.active.is_(True)))
    takers = [(hook_id, set(e.split(","))) for hook_id, e in hooks]
    events = [(t, d) for t, d in events if any(t in types for _, types in takers)]
    if not events:
        db.session.commit()
        return []
    now = utcnow()
    rows = []
    for (event_type, _data), resource in zip(events, payloads.build_many(events), strict=True):
        if resource is None:
            continue
        body = payloads.envelope(event_type, resource, now)
        for hook_id, types in takers:
            if event_type in types:
                rows.append(dict(webhook_id=hook_id, message_id=message_id(),
                                 event_type=event_type, payload=body,
                                 status=WebhookStatus.PENDING, attempts=0, next_attempt_at=now,
                                 last_error="", created_at=now))  # fmt: skip
    ids = []
    if rows:
        table = WebhookDelivery.__table__
        ids = list(db.session.scalars(insert(table).returning(table.c.id), rows))
    db.session.commit()
    return ids


# --- sending ---------------------------------------------------------------------------


def _lease() -> timedelta:
    # Longer than an attempt can take: a worker that died mid-attempt frees it after this.
    return timedelta(seconds=float(current_app.config["WEBHOOKS_TIMEOUT_SECONDS"]) + 60)


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for this attempt: still to be sent, and due."""
    with db.engine.begin() as conn:
        result = conn.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status.in_([WebhookStatus.PENDING, WebhookStatus.FAILED]),
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + _lease())
        )
        return result.rowcount == 1


def headers_for(secret: str, msg_id: str, body: bytes, at: datetime | None = None) -> dict:
    """The Standard Webhooks headers of one attempt (signed at `at`, default now)."""
    at = at or datetime.now(UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": "petitions-webhooks",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(msg_id, at, body),
    }


def attempt(delivery_id: int, now: datetime | None = None) -> str | None:
    """One attempt at a due delivery; its status afterwards (None: not due, or taken by
    another worker). `now` is when the retry schedule counts from (the real time by
    default; `flask mail due --now` passes its own)."""
    now = now or utcnow()
    if not _claim(delivery_id, now):
        return None
    row = db.session.execute(
        select(WebhookDelivery.message_id, WebhookDelivery.payload, WebhookDelivery.attempts,
               Webhook.url, Webhook.secret, Webhook.active)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id == delivery_id)
    ).one()  # fmt: skip
    db.session.commit()  # nothing held open while the endpoint is talked to
    body = row.payload.encode()
    status_code, error = None, ""
    started = time.monotonic()
    if not row.active:
        error = "The webhook was removed."
    else:
        try:
            target = endpoints.resolve(row.url)  # again now: the name may point elsewhere
            timeout = float(current_app.config["WEBHOOKS_TIMEOUT_SECONDS"])
            status_code = endpoints.post(
                target, body, headers_for(row.secret, row.message_id, body), timeout
            )
            if not 200 <= status_code < 300:
                error = f"The endpoint answered {status_code}."
        except Exception as exc:  # every failure is recorded, in words
            error = endpoints.plain_error(exc)
    seconds = time.monotonic() - started
    attempts = row.attempts + 1
    values = dict(attempts=attempts, last_status_code=status_code, last_error=error[:300])
    if not error:
        values.update(status=WebhookStatus.DELIVERED, delivered_at=utcnow(), next_attempt_at=None)
    else:
        schedule = retry_schedule()
        if attempts <= len(schedule) and row.active:
            retry_at = now + timedelta(seconds=schedule[attempts - 1])
            values.update(status=WebhookStatus.FAILED, next_attempt_at=retry_at)
        else:
            values.update(status=WebhookStatus.GIVEN_UP, next_attempt_at=None)
    with db.engine.begin() as conn:
        conn.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values)
        )
        conn.execute(
            WebhookAttempt.__table__.insert().values(
                delivery_id=delivery_id, attempted_at=utcnow(), status_code=status_code,
                error=error[:300], seconds=round(seconds, 3),
            )
        )  # fmt: skip
    if values["status"] == WebhookStatus.FAILED:
        _schedule_retry(delivery_id, values["next_attempt_at"])
    return values["status"]


def _schedule_retry(delivery_id: int, at: datetime) -> None:
    """With RQ, the retry is also put on the queue for its time (the due check finds it
    otherwise)."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        return
    try:
        _queue(redis_url).enqueue_at(at.replace(tzinfo=UTC), "petitions.webhooks.delivery.attempt",
                                     delivery_id, result_ttl=0)  # fmt: skip
    except Exception:
        log.exception("could not schedule webhook retry %s on RQ", delivery_id)


def start(delivery_id: int, now: datetime | None = None) -> str:
    """Send the (committed) delivery off this request: "rq", "thread" or "inline"."""
    config = current_app.config
    if config.get("WEBHOOKS_JOBS_INLINE"):
        attempt(delivery_id, now)
        return "inline"
    if redis_url := config.get("REDIS_URL"):
        try:
            _queue(redis_url).enqueue("petitions.webhooks.delivery.attempt", delivery_id, now,
                                      job_timeout=120, result_ttl=0, failure_ttl=86400)  # fmt: skip
            return "rq"
        except Exception:
            log.exception(
                "could not queue webhook delivery %s on RQ; sending in-process", delivery_id
            )
    _pool(current_app._get_current_object()).put(("attempt", delivery_id, now))
    return "thread"


def send_again(delivery: WebhookDelivery) -> None:
    """An admin's "Send again": due now, same webhook-id, the schedule from the start
    (in the session; the caller commits, then calls start)."""
    delivery.status = WebhookStatus.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.attempts = 0


def due(now: datetime) -> int:
    """Start every delivery due at `now` (mail's due check calls this); how many: retries
    at their time, and first attempts a stopped process left (a new message is sent at
    once by the process that recorded it, so only one older than a lease is taken)."""
    ids = db.session.scalars(
        select(WebhookDelivery.id)
        .where(
            (
                (WebhookDelivery.status == WebhookStatus.FAILED)
                & (WebhookDelivery.next_attempt_at <= now)
            )
            | (
                (WebhookDelivery.status == WebhookStatus.PENDING)
                & (WebhookDelivery.next_attempt_at <= now - _lease())
            )
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(1000)
    ).all()
    db.session.commit()
    for delivery_id in ids:
        start(delivery_id, now)
    return len(ids)


# --- the threads of this process (no REDIS_URL) ----------------------------------------


class _Pool:
    """Daemon threads of this process: one records the events (several per transaction
    when many wait), WEBHOOKS_THREADS send. Sending has its own threads, so endpoints that
    answer slowly never hold up the recording: once recorded, a message survives the
    process (the due check sends what a stopped process left)."""

    def __init__(self, app: Flask, size: int, base_url: str | None):
        self.app, self.base_url = app, base_url
        self.records: queue.SimpleQueue = queue.SimpleQueue()
        self.attempts: queue.SimpleQueue = queue.SimpleQueue()
        self.pid = os.getpid()
        threading.Thread(target=self._run, args=(self.records, self._record),
                         name="webhooks-record", daemon=True).start()  # fmt: skip
        for n in range(size):
            threading.Thread(target=self._run, args=(self.attempts, self._attempt),
                             name=f"webhooks-send-{n}", daemon=True).start()  # fmt: skip

    def put(self, item) -> None:
        (self.records if item[0] == "record" else self.attempts).put(item)

    def _run(self, work: queue.SimpleQueue, do) -> None:
        while True:
            item = work.get()
            try:
                with self.app.app_context():
                    try:
                        if self.base_url:
                            with self.app.test_request_context("/", base_url=self.base_url):
                                do(work, item)
                        else:
                            do(work, item)
                    finally:
                        db.session.remove()
            except Exception:
                log.exception("webhook work failed: %s", item[0])

    def _attempt(self, work, item) -> None:
        attempt(*item[1:])

    def _record(self, work, item) -> None:
        # A moment for the events of a crowd to gather: one transaction (on SQLite, one
        # turn at the write lock) records them all.
        time.sleep(GATHER_SECONDS)
        events = [tuple(item[1:])]
        while len(events) < BATCH:  # the others waiting, in the same transaction
            try:
                events.append(tuple(work.get_nowait()[1:]))
            except queue.Empty:
                break
        for delivery_id in _record_many(events):
            self.attempts.put(("attempt", delivery_id, None))


_pool_lock = threading.Lock()


def _pool(app: Flask) -> _Pool:
    """This process's pool, started on first use (after a fork, anew)."""
    state = _state(app)
    pool = getattr(state, "pool", None)
    if pool is None or pool.pid != os.getpid():
        with _pool_lock:
            pool = getattr(state, "pool", None)
            if pool is None or pool.pid != os.getpid():
                # Links in messages name the host of the request that made the first event,
                # as mail's threads do (PUBLIC_BASE_URL, when set, wins anyway).
                base_url = request.host_url if has_request_context() else None
                size = int(app.config.get("WEBHOOKS_THREADS") or 4)
                pool = state.pool = _Pool(app, size, base_url)
    return pool
