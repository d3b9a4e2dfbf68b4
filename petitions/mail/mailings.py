"""Sending one mail to many people: updates, rally reminders and change notices.

A Mailing holds what is sent and to which audience; each recipient gets a Delivery row
(queued → sent / failed / skipped, with the time). The rows are written before the first
message goes out, so a worker killed mid-send resumes from the rows still queued, and
the unique (mailing, address) pair means nobody is queued twice. A mailing is created
under a unique key, so a double-clicked Send, or two workers finding the same reminder
due, make one mailing.

Each delivery is marked sent in its own small commit right after the server accepted
the message, so a kill can at most lose the mark of the one message in flight.

A mail server that is down, times out or says "try later" fails nothing for good: the
deliveries it did not take stay queued with a next try (MAIL_RETRY_*, doubling), the
mailing stays "sending", and the due-mail check sends them when that time comes. Only a
refusal of one address or message (5xx), or a delivery out of tries, is failed.

Messages go over one SMTP connection per worker run (petitions.mail.transport.Connection),
at MAIL_RATE_PER_SECOND at most. No tracking: no pixels, no rewritten links. What each
kind of mailing says comes from the part that sends it (petitions.mail.registry).

Workers: with REDIS_URL the send is an RQ job on the "mail" queue, run by the
deployment's worker class, which gives jobs their app (petitions.operations.worker:
`rq worker --worker-class petitions.operations.worker.Worker mail --with-scheduler`);
without it, a thread in the app process. Scheduled mail (updates for later, reminders)
is started by `run_due`, which the app calls about once a minute itself (`make run`),
RQ's scheduler calls at the times it was given, and `flask --app wsgi mail due` runs
from cron if wanted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import OperationalError

from petitions.core.content import DEFAULT_LANGUAGE, LANGUAGES
from petitions.core.database import dialect_insert
from petitions.core.extensions import db
from petitions.core.outage import DATABASE, database_unavailable
from petitions.core.text import normalize_email
from petitions.core.tokens import new_token
from petitions.mail.registry import composer_for, queue_due
from petitions.mail.suppressions import suppressed_among
from petitions.mail.transport import Connection
from petitions.models import Delivery, DeliveryStatus, Mailing, MailingStatus, Suppression
from petitions.models.base import utcnow

log = logging.getLogger(__name__)
QUEUE_NAME = "mail"
BATCH = 500  # deliveries read per query while sending
_threads: list[threading.Thread] = []


class Clock:
    """Time as the sender sees it; tests (and `flask mail due --now`) pass one that starts
    at a moment they choose."""

    def __init__(self, start: datetime | None = None):
        self._offset = (start - utcnow()) if start is not None else timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self._offset

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class Recipient:
    email: str
    language: str = "en"
    name: str = ""
    attendee_id: int | None = None


# --- creating a mailing and its deliveries ---------------------------------------------


def create_mailing(key: str, **fields) -> tuple[Mailing, bool]:
    """The mailing with this key, made now if there is none: (mailing, created)."""
    insert = dialect_insert(Mailing.__table__).values(key=key, created_at=utcnow(), **fields)
    new_id = db.session.execute(
        insert.on_conflict_do_nothing(index_elements=["key"]).returning(Mailing.__table__.c.id)
    ).scalar()
    mailing = db.session.scalars(select(Mailing).where(Mailing.key == key)).one()
    return mailing, new_id is not None


def queue(mailing: Mailing, recipients: Iterable[Recipient]) -> int:
    """Write a queued delivery per address (suppressed ones and repeats left out); the
    number of recipients of the mailing afterwards."""
    suppressed = set(db.session.scalars(select(Suppression.email_key)))
    table = Delivery.__table__
    insert = dialect_insert(table).on_conflict_do_nothing(
        index_elements=["mailing_id", "email_key"]
    )
    batch: list[dict] = []
    seen: set[str] = set()
    for r in recipients:
        key = normalize_email(r.email)
        if not key or key in suppressed or key in seen:
            continue
        seen.add(key)
        batch.append(
            dict(
                mailing_id=mailing.id,
                email=r.email,
                email_key=key,
                language=r.language if r.language in LANGUAGES else DEFAULT_LANGUAGE,
                name=(r.name or "")[:200],
                attendee_id=r.attendee_id,
                unsubscribe_token=new_token(),
                status=DeliveryStatus.QUEUED,
                error="",
            )
        )
        if len(batch) >= 1000:
            db.session.execute(insert, batch)
            batch = []
    if batch:
        db.session.execute(insert, batch)
    total = db.session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.mailing_id == mailing.id)
    )
    mailing.recipients = total or 0
    return mailing.recipients


# --- handing a mailing to a worker -----------------------------------------------------


def start(mailing_id: int) -> str:
    """Send the (committed) mailing in the background: "rq", "thread" or "inline"."""
    config = current_app.config
    if config.get("MAIL_JOBS_INLINE"):
        run(mailing_id)
        return "inline"
    if redis_url := config.get("REDIS_URL"):
        try:
            _queue(redis_url).enqueue(
                "petitions.mail.mailings.run",
                mailing_id,
                job_id=f"mailing-{mailing_id}",  # the same send is never queued twice at once
                job_timeout=24 * 3600,
                result_ttl=3600,
                failure_ttl=86400,
                description=f"mailing {mailing_id}",
            )
            return "rq"
        except Exception:  # Redis down: send from here rather than not at all
            log.exception("could not queue mailing %s on RQ; sending it in-process", mailing_id)
    _in_thread(run, mailing_id)
    return "thread"


def _queue(redis_url: str):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))


def _in_thread(target: Callable, *args) -> None:
    app = current_app._get_current_object()
    # Links in the mail name the host the organizer used, as they would from the request
    # itself (PUBLIC_BASE_URL, when set, wins anyway: see petitions.core.urls).
    base_url = request.host_url if has_request_context() else None

    def work():
        with app.app_context():
            try:
                if base_url:
                    with app.test_request_context("/", base_url=base_url):
                        target(*args)
                else:
                    target(*args)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"mail-{target.__name__}", daemon=True)
    _threads[:] = [t for t in _threads if t.is_alive()]
    _threads.append(thread)
    thread.start()


def schedule_check(at: datetime) -> None:
    """Ask for a due-mail check at `at` (naive UTC). With Redis, RQ's scheduler runs it
    then; without, the app's own once-a-minute check will find it."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url or current_app.config.get("MAIL_JOBS_INLINE"):
        return
    try:
        _queue(redis_url).enqueue_at(at.replace(tzinfo=UTC), "petitions.mail.mailings.run_due")
    except Exception:
        log.exception("could not schedule a due-mail check on RQ")


# --- sending ---------------------------------------------------------------------------


def _lease() -> timedelta:
    """How long a worker may go silent before it is taken for dead (MAIL_LEASE_SECONDS)."""
    return timedelta(seconds=float(current_app.config["MAIL_LEASE_SECONDS"]))


def _claim(mailing_id: int, now: datetime) -> bool:
    """Take the mailing for this worker: due, and not being sent by a live one."""
    with db.engine.begin() as conn:
        result = conn.execute(
            update(Mailing)
            .where(
                Mailing.id == mailing_id,
                Mailing.status.in_([MailingStatus.SCHEDULED, MailingStatus.SENDING]),
                (Mailing.scheduled_at.is_(None)) | (Mailing.scheduled_at <= now),
                (Mailing.lease_until.is_(None)) | (Mailing.lease_until < now),
            )
            .values(
                status=MailingStatus.SENDING,
                lease_until=now + _lease(),
                started_at=func.coalesce(Mailing.started_at, now),
            )
        )
        return result.rowcount == 1


def _set_mailing(mailing_id: int, **values) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(Mailing).where(Mailing.id == mailing_id).values(**values))


def _mark(delivery_id: int, status: str, now: datetime, error: str = "") -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=status, sent_at=now, error=error[:300])
        )


def _mark_sent(delivery_id: int, clock: Clock) -> None:
    """Mark a delivery the server has taken. Its mail is out: losing the mark would send
    it twice on resuming, so a database that is away is waited for (up to half the lease,
    during which no other worker can take the send), not given up on at once."""
    give_up = clock.monotonic() + _lease().total_seconds() / 2
    while True:
        try:
            _mark(delivery_id, DeliveryStatus.SENT, clock.now())
            return
        except OperationalError as e:
            if not database_unavailable(e) or clock.monotonic() >= give_up:
                raise
            DATABASE.failed(e)
            clock.sleep(1.0)


def _retry_delay(attempts: int) -> timedelta:
    """How long a delivery waits after its `attempts`-th failed try: doubling, capped."""
    config = current_app.config
    base = float(config["MAIL_RETRY_SECONDS"])
    return timedelta(
        seconds=min(base * 2 ** (attempts - 1), float(config["MAIL_RETRY_MAX_SECONDS"]))
    )


def _defer(
    started_at: datetime | None, delivery_ids: list[int], now: datetime, reason: str
) -> None:
    """The server did not take these deliveries, for now: each waits for its next try,
    or is failed when it has had its tries (MAIL_RETRY_ATTEMPTS, MAIL_RETRY_FOR_SECONDS)."""
    config = current_app.config
    most = int(config["MAIL_RETRY_ATTEMPTS"])
    until = (started_at or now) + timedelta(seconds=float(config["MAIL_RETRY_FOR_SECONDS"]))
    rows = db.session.execute(
        select(Delivery.id, Delivery.attempts).where(Delivery.id.in_(delivery_ids))
    ).all()
    db.session.commit()
    by_attempts: dict[int, list[int]] = {}
    for row in rows:
        by_attempts.setdefault(row.attempts + 1, []).append(row.id)
    with db.engine.begin() as conn:
        for attempts, ids in by_attempts.items():
            next_at = now + _retry_delay(attempts)
            if attempts >= most or next_at > until:
                values = dict(
                    status=DeliveryStatus.FAILED,
                    sent_at=now,
                    next_attempt_at=None,
                    error=f"gave up after {attempts} tries: {reason}"[:300],
                )
            else:
                values = dict(next_attempt_at=next_at, error=reason[:300])
            conn.execute(
                update(Delivery).where(Delivery.id.in_(ids)).values(attempts=attempts, **values)
            )


def _due_rows(mailing_id: int, after_id: int, now: datetime, limit: int):
    return db.session.execute(
        select(Delivery.id, Delivery.email, Delivery.email_key, Delivery.language,
               Delivery.name, Delivery.attendee_id, Delivery.unsubscribe_token)
        .where(Delivery.mailing_id == mailing_id, Delivery.id > after_id,
               Delivery.status == DeliveryStatus.QUEUED,
               Delivery.next_attempt_at.is_(None) | (Delivery.next_attempt_at <= now))
        .order_by(Delivery.id)
        .limit(limit)
    ).all()  # fmt: skip


def run(mailing_id: int, clock: Clock | None = None) -> str:
    """Send every queued delivery of the mailing that is due; its status afterwards.
    Safe to call again at any time: sent rows are never sent again.

    A mail server that is away leaves the rest of the send queued for a later try (the
    mailing stays "sending" until every delivery is sent, skipped or failed for good);
    a database that is away stops the run, and the send resumes from its queued rows
    once the lease has run out (the next due-mail check)."""
    clock = clock or Clock()
    if not _claim(mailing_id, clock.now()):
        mailing = db.session.get(Mailing, mailing_id)
        return mailing.status if mailing is not None else "missing"
    mailing = db.session.get(Mailing, mailing_id)
    compose = composer_for(mailing)
    started_at = mailing.started_at
    db.session.commit()  # nothing held open while the server is talked to
    rate = float(current_app.config.get("MAIL_RATE_PER_SECOND") or 0)
    interval = 1.0 / rate if rate > 0 else 0.0
    next_at = clock.monotonic()
    lease = _lease()
    renew_at = clock.now() + lease / 3
    last_id = 0
    started = clock.now()  # deliveries deferred in this run are not due again in it
    server_down: str | None = None
    with Connection() as connection:
        while server_down is None:
            rows = _due_rows(mailing_id, last_id, started, BATCH)
            if not rows:
                break
            suppressed = suppressed_among(r.email_key for r in rows)
            db.session.commit()
            for row in rows:
                last_id = row.id
                if clock.now() >= renew_at:  # still alive: keep other workers off this send
                    _set_mailing(mailing_id, lease_until=clock.now() + lease)
                    renew_at = clock.now() + lease / 3
                if row.email_key in suppressed:  # unsubscribed since it was queued
                    _mark(row.id, DeliveryStatus.SKIPPED, clock.now())
                    continue
                if interval:
                    wait = next_at - clock.monotonic()
                    if wait > 0:
                        clock.sleep(wait)
                    next_at = max(next_at, clock.monotonic()) + interval
                message = compose(row)
                if message is None:
                    _mark(row.id, DeliveryStatus.SKIPPED, clock.now())
                    continue
                outcome = connection.attempt(message, quiet=True)
                if outcome.sent:
                    _mark_sent(row.id, clock)
                elif outcome.permanent:
                    _mark(row.id, DeliveryStatus.FAILED, clock.now(), outcome.reason)
                elif outcome.server_down:
                    server_down = outcome.reason
                    last_id = row.id - 1  # this one waits with the rest
                    break
                else:  # "try later" for this one message
                    _defer(started_at, [row.id], clock.now(), outcome.reason)
    if server_down is not None:
        # Nothing goes out now: the rest of the send waits for its next try together,
        # instead of each message timing out on its own.
        while ids := [r.id for r in _due_rows(mailing_id, last_id, started, BATCH)]:
            _defer(started_at, ids, clock.now(), server_down)
            last_id = ids[-1]
        log.warning("mailing %s: %s; the rest of it will be tried again", mailing_id, server_down)
    return _finish(mailing_id, clock)


def _finish(mailing_id: int, clock: Clock) -> str:
    """Sent, when nothing is left queued; otherwise still sending, with a due-mail check
    asked for at the next try."""
    counts = dict(
        db.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.mailing_id == mailing_id)
            .group_by(Delivery.status)
        ).all()
    )
    next_try = db.session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.mailing_id == mailing_id, Delivery.status == DeliveryStatus.QUEUED
        )
    )
    db.session.commit()
    totals = dict(
        delivered=counts.get(DeliveryStatus.SENT, 0), failed=counts.get(DeliveryStatus.FAILED, 0)
    )
    if counts.get(DeliveryStatus.QUEUED):
        _set_mailing(mailing_id, lease_until=None, **totals)
        if next_try is not None:
            schedule_check(next_try)
        return MailingStatus.SENDING
    _set_mailing(
        mailing_id, status=MailingStatus.SENT, finished_at=clock.now(), lease_until=None, **totals
    )
    return MailingStatus.SENT


def progress(mailing: Mailing) -> dict:
    counts = dict(
        db.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.mailing_id == mailing.id)
            .group_by(Delivery.status)
        ).all()
    )
    done = sum(n for status, n in counts.items() if status != DeliveryStatus.QUEUED)
    total = mailing.recipients or sum(counts.values())
    waiting = db.session.execute(
        select(func.count(), func.min(Delivery.next_attempt_at)).where(
            Delivery.mailing_id == mailing.id,
            Delivery.status == DeliveryStatus.QUEUED,
            Delivery.next_attempt_at.is_not(None),
        )
    ).one()
    # The reason of the latest try that failed: the delivery deferred last (its next try
    # is the furthest off), else the one failed for good last.
    last_error = db.session.scalar(
        select(Delivery.error)
        .where(Delivery.mailing_id == mailing.id, Delivery.error != "")
        .order_by(Delivery.next_attempt_at.desc().nulls_last(), Delivery.sent_at.desc())
        .limit(1)
    )
    return {
        "status": mailing.status,
        "recipients": total,
        "sent": counts.get(DeliveryStatus.SENT, 0),
        "failed": counts.get(DeliveryStatus.FAILED, 0),
        "skipped": counts.get(DeliveryStatus.SKIPPED, 0),
        "queued": counts.get(DeliveryStatus.QUEUED, 0),
        "percent": 100 if not total else min(100, int(done * 100 / total)),
        "waiting": waiting[0],  # queued for another try after the mail server failed
        "next_try": waiting[1],  # naive UTC, or None
        "last_error": last_error or "",
    }


# --- what is due -----------------------------------------------------------------------


def run_due(now: datetime | None = None, clock: Clock | None = None) -> int:
    """Start everything due at `now`: scheduled mailings, the parts' due mail (rally
    reminders), and sends whose worker died. The number of mailings started.
    Idempotent: safe from several processes."""
    now = now or (clock.now() if clock is not None else utcnow())
    queue_due(now)  # the parts' own due mail (rally reminders), queued as mailings
    db.session.commit()
    queued = (Delivery.mailing_id == Mailing.id) & (Delivery.status == DeliveryStatus.QUEUED)
    due_delivery = exists().where(
        queued, Delivery.next_attempt_at.is_(None) | (Delivery.next_attempt_at <= now)
    )
    due = db.session.scalars(
        select(Mailing.id).where(
            Mailing.status.in_([MailingStatus.SCHEDULED, MailingStatus.SENDING]),
            (Mailing.scheduled_at.is_(None)) | (Mailing.scheduled_at <= now),
            (Mailing.lease_until.is_(None)) | (Mailing.lease_until < now),
            # A send whose deliveries all wait for their next try is not due before it.
            (Mailing.status == MailingStatus.SCHEDULED) | due_delivery | ~exists().where(queued),
        )
    ).all()
    db.session.commit()
    for mailing_id in due:
        if clock is not None:
            run(mailing_id, clock)
        else:
            start(mailing_id)
    return len(due)


_last_check = [0.0]
_check_lock = threading.Lock()


def maybe_run_due() -> None:
    """Called after requests: about once every MAIL_DUE_CHECK_SECONDS, look for due mail
    in a thread (this is what makes scheduled mail work with `make run` and no worker)."""
    every = float(current_app.config.get("MAIL_DUE_CHECK_SECONDS") or 0)
    if every <= 0:
        return
    if time.monotonic() - _last_check[0] < every:  # the usual answer: no lock taken
        return
    with _check_lock:
        now = time.monotonic()
        if now - _last_check[0] < every:
            return
        _last_check[0] = now
    _in_thread(run_due)
