"""Background packet jobs: on RQ workers when REDIS_URL is set, otherwise in a thread.

The job's state lives in the database (packet_jobs), so any app process can show its
progress, whichever worker runs it. Progress is written on a connection of its own,
never through the session that is streaming the rows.

Workers: `rq worker --url "$REDIS_URL" --worker-class petitions.operations.worker.Worker --name NAME
packets` with the web app's environment (DATABASE_URL, ...) and the same instance/ folder:
the packet file is written to instance/packets/. See deploy/petitions-worker.service. That
worker class runs each job inside its app; a thread here runs it inside this one.
A job whose worker died is retried (RETRIES) from the start, into a new file.

A job that finds the database away (a restart, a lock past the busy timeout) is not
failed: it goes back to "queued" and is drawn again from the start a little later
(PACKET_DB_RETRY_SECONDS, doubling, PACKET_DB_RETRIES times), on RQ by a job enqueued
for then, in a thread by waiting; only a database away for longer than that fails it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import update

from petitions.core.extensions import db
from petitions.core.outage import DATABASE, database_unavailable
from petitions.models.base import utcnow
from petitions.models.packet import PacketJob
from petitions.models.petition import Petition
from petitions.models.user import User
from petitions.packets.build import PacketError, PacketRequest
from petitions.packets.storage import make_and_store

log = logging.getLogger(__name__)
QUEUE_NAME = "packets"
RETRIES = 2  # runs after the first, for a worker killed mid-job (operations/worker.py)
_threads: list[threading.Thread] = []


def threshold() -> int:
    return int(current_app.config["PACKET_BACKGROUND_THRESHOLD"])


def start_packet_job(petition: Petition, req: PacketRequest, user) -> int:
    """Create the job row (committed), hand it to a worker and return its id. Nothing is read
    back afterwards: the request must not hold SQLite's write lock the job needs."""
    job = PacketJob(
        petition_id=petition.id,
        user_id=user.id if user is not None else None,
        params=json.dumps(req.as_dict()),
        status="queued",
        backend="thread",
        message="Waiting for a worker…",
    )
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    slug = petition.slug
    db.session.commit()
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            from redis import Redis
            from rq import Queue, Retry

            queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))
            queue.enqueue(
                "petitions.packets.jobs.run_packet_job",
                job_id,
                job_timeout=3600,
                result_ttl=3600,
                failure_ttl=86400,
                retry=Retry(max=RETRIES),
                description=f"packet for {slug} (job {job_id})",
            )
            _set(job_id, backend="rq")
            return job_id
        except Exception:  # Redis down: do the work here rather than not at all
            log.exception("could not enqueue packet job %s on RQ; running it in-process", job_id)
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=_run_in_thread, args=(app, job_id), name=f"packet-job-{job_id}", daemon=True
    )
    _threads[:] = [t for t in _threads if t.is_alive()]
    _threads.append(thread)
    thread.start()
    return job_id


def _run_in_thread(app, job_id: int) -> None:
    with app.app_context():
        try:
            run_packet_job(job_id)
        finally:
            db.session.remove()


def _set(job_id: int, **values) -> None:
    """Write job state on its own connection (the session may be mid-stream)."""
    with db.engine.begin() as conn:
        conn.execute(update(PacketJob).where(PacketJob.id == job_id).values(**values))


DB_AWAY = "The database was unavailable for a moment; the packet will be drawn again shortly."
DB_AWAY_TOO_LONG = "The database was unavailable for too long; please make the packet again."


class _DatabaseAway(Exception):
    pass


def run_packet_job(job_id: int, db_retry: int = 0) -> str:
    """Draw the job's packet; its status afterwards ("queued" when it waits for the
    database to come back)."""
    config = current_app.config
    retries = int(config["PACKET_DB_RETRIES"])
    while True:
        try:
            return _run(job_id)
        except (sa_exc.OperationalError, sa_exc.TimeoutError, _DatabaseAway) as e:
            cause = e.__cause__ if isinstance(e, _DatabaseAway) else e
            if not database_unavailable(cause):
                raise
            DATABASE.failed(cause)
            db.session.rollback()
        if db_retry >= retries:
            _try_set(job_id, status="failed", message=DB_AWAY_TOO_LONG, finished_at=utcnow())
            return "failed"
        wait = float(config["PACKET_DB_RETRY_SECONDS"]) * 2**db_retry
        db_retry += 1
        _try_set(job_id, status="queued", message=DB_AWAY)
        if _enqueue_retry(job_id, db_retry, wait):
            return "queued"
        time.sleep(wait)  # a thread of the web app: wait here


def _try_set(job_id: int, **values) -> None:
    """Write the job's state if the database takes it now; if not, the next run will."""
    try:
        _set(job_id, **values)
    except (sa_exc.OperationalError, sa_exc.TimeoutError) as e:
        if not database_unavailable(e):
            raise


def _enqueue_retry(job_id: int, db_retry: int, wait: float) -> bool:
    """On an RQ worker, a run of the job `wait` seconds from now; False elsewhere."""
    try:
        from rq import get_current_job
    except ImportError:
        return False
    current = get_current_job()
    if current is None:
        return False
    from rq import Queue, Retry

    Queue(QUEUE_NAME, connection=current.connection).enqueue_in(
        timedelta(seconds=wait),
        "petitions.packets.jobs.run_packet_job",
        job_id,
        db_retry,
        job_timeout=3600,
        result_ttl=3600,
        failure_ttl=86400,
        retry=Retry(max=RETRIES),
        description=current.description,
    )
    return True


def _run(job_id: int) -> str:
    job = db.session.get(PacketJob, job_id)
    if job is None:
        return "missing"
    if job.status in ("done", "failed"):
        return job.status
    petition = db.session.get(Petition, job.petition_id)
    user = db.session.get(User, job.user_id) if job.user_id else None
    req = PacketRequest(**json.loads(job.params))
    db.session.commit()
    _set(job_id, status="running", started_at=utcnow(), message="Drawing the packet…")
    last = [0.0]

    def progress(rows: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            _set(job_id, done=rows)

    try:
        record = make_and_store(
            petition, req, user, source="job", progress=progress,
            total_cb=lambda n: _set(job_id, total=n),
        )  # fmt: skip
        db.session.flush()
        record_id = record.id
        db.session.commit()
    except PacketError as e:
        db.session.rollback()
        _set(job_id, status="failed", message=str(e)[:500], finished_at=utcnow())
        return "failed"
    except (sa_exc.OperationalError, sa_exc.TimeoutError) as e:
        if database_unavailable(e):
            raise _DatabaseAway from e
        db.session.rollback()
        log.exception("packet job %s failed", job_id)
        _set(job_id, status="failed", finished_at=utcnow(),
             message="Something went wrong while drawing the packet; please try again.")  # fmt: skip
        return "failed"
    except Exception:
        db.session.rollback()
        log.exception("packet job %s failed", job_id)
        _set(job_id, status="failed", finished_at=utcnow(),
             message="Something went wrong while drawing the packet; please try again.")  # fmt: skip
        return "failed"
    _set(job_id, status="done", record_id=record_id, done=record.signature_count,
         message="Ready.", finished_at=utcnow())  # fmt: skip
    return "done"


def job_status(job: PacketJob) -> dict:
    percent = 100 if job.status == "done" else (
        int(job.done * 100 / job.total) if job.total else 0)  # fmt: skip
    return {
        "id": job.id,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": min(percent, 100),
        "message": job.message,
        "record_id": job.record_id,
    }
