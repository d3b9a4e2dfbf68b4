"""petitions.operations.worker.Worker, started with deploy/petitions-worker.service's command:
killed mid-job (worker and work horse, as systemd kills the unit) and started again under
its name, it retries the abandoned job at once; it gives jobs their app, so mail and packet
jobs run, under their names and under the previous release's. Needs Redis."""

import json
import os
import uuid

import pytest

from petitions.packets.jobs import RETRIES
from tests.deploy_helpers import exec_start
from tests.processes import Processes, wait_for

JOB_SECONDS = 3  # long enough to be killed in the middle of


@pytest.fixture
def queue(redis_url):
    from redis import Redis
    from rq import Queue

    conn = Redis.from_url(redis_url)
    conn.flushdb()
    yield Queue("packets", connection=conn)
    conn.flushdb()
    conn.close()


@pytest.fixture
def procs(tmp_path):
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()


def test_restarted_worker_retries_the_job_its_killed_run_left(queue, redis_url, procs, tmp_path):
    from rq import Retry

    job = queue.enqueue("time.sleep", JOB_SECONDS, retry=Retry(max=RETRIES), job_timeout=600)
    env = {"PATH": os.environ["PATH"], "REDIS_URL": redis_url, "PETITIONS_WORKER_QUEUES": "packets",
           "SECRET_KEY": "worker-test", "PETITIONS_INSTANCE": str(tmp_path)}  # fmt: skip
    argv = exec_start("petitions-worker.service", env, hostname=f"test-{uuid.uuid4().hex[:8]}")

    def status():
        return job.get_status(refresh=True)

    worker = procs.start("worker", argv, env)
    wait_for("the worker to start the job", lambda: status() == "started")
    procs.kill(worker)
    assert status() == "started"  # abandoned: RQ alone would notice after the heartbeat
    procs.start("worker", argv, env)
    wait_for("the restarted worker to finish the job", lambda: status() == "finished")
    job.refresh()
    assert job.retries_left == RETRIES - 1
    assert "was abandoned by a previous run of this worker" in procs.log("worker", "out")


def test_worker_runs_mail_and_packet_jobs_under_new_and_old_names(
    app, client, organizer, redis_url, procs, tmp_path, make_petition, make_signature, smtp_server
):
    from redis import Redis
    from rq import Queue
    from sqlalchemy import select

    from petitions.core.extensions import db
    from petitions.models import Delivery, Mailing, PacketJob
    from petitions.models.packet import SCOPE_EVERYONE
    from petitions.packets.build import PacketRequest
    from petitions.updates.services import UpdateData, create_update, send_update
    from tests.conftest import csrf_from
    from tests.mail_helpers import addressee

    conn = Redis.from_url(redis_url)
    conn.flushdb()
    petition = make_petition(slug="seats")
    make_signature(petition, given="Ana", email="ana@example.org")
    make_signature(petition, given="Bo", email="bo@example.org", opt_in=True)
    # A send as the organizer makes it, with Redis: queued on RQ under today's name.
    app.config.update(REDIS_URL=redis_url, MAIL_JOBS_INLINE=False)
    url = f"/manage/p/{petition.slug}/updates/new"
    data = {"csrf_token": csrf_from(client.get(url).get_data(as_text=True)),
            "subject": "Delivered", "body": "We delivered it.", "audience": "opted_in"}  # fmt: skip
    update_url = client.post(url, data=data).headers["Location"]
    token = csrf_from(client.get(update_url).get_data(as_text=True))
    assert client.post(f"{update_url}/send", data={"csrf_token": token}).status_code == 303
    # Jobs the previous release queued: a send, a due-mail check and a packet.
    old_send = send_update(create_update(petition, UpdateData("Old", "Queued before.")))
    params = json.dumps(PacketRequest(scope=SCOPE_EVERYONE).as_dict())
    packet = PacketJob(
        petition_id=petition.id, status="queued", backend="rq", message="", params=params
    )
    db.session.add(packet)
    db.session.commit()
    mail, packets = Queue("mail", connection=conn), Queue("packets", connection=conn)
    [new_job] = mail.jobs
    assert new_job.func_name == "petitions.mail.mailings.run"
    old_jobs = [
        mail.enqueue("petitions.services.mailings.run_task", old_send.id),
        mail.enqueue("petitions.services.mailings.due_task"),
        packets.enqueue("petitions.services.jobs.run_packet_job_task", packet.id),
    ]

    env = {"PATH": os.environ["PATH"], "REDIS_URL": redis_url, "SECRET_KEY": "worker-test",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "PETITIONS_INSTANCE": str(tmp_path), "PETITIONS_WORKER_QUEUES": "mail packets",
           "FLASK_MAIL_SERVER": "127.0.0.1", "FLASK_MAIL_PORT": str(app.config["MAIL_PORT"]),
           "FLASK_MAIL_RATE_PER_SECOND": "0",
           "FLASK_PUBLIC_BASE_URL": "http://localhost"}  # fmt: skip
    argv = exec_start("petitions-worker.service", env, hostname=f"test-{uuid.uuid4().hex[:8]}")
    procs.start("worker", argv, env)
    for job in (new_job, *old_jobs):
        wait_for(f"job {job.func_name}", lambda job=job: job.get_status(refresh=True) in
                 ("finished", "failed"))  # fmt: skip
        assert job.get_status() == "finished", procs.log("worker")
    db.session.rollback()  # what the worker wrote
    assert {m.status for m in db.session.scalars(select(Mailing))} == {"sent"}
    assert {d.status for d in db.session.scalars(select(Delivery))} == {"sent"}
    assert sorted((addressee(m), m["Subject"]) for m in smtp_server) == [
        ("ana@example.org", "Old"), ("bo@example.org", "Delivered"), ("bo@example.org", "Old"),
    ]  # fmt: skip
    assert db.session.get(PacketJob, packet.id).status == "done"
    conn.flushdb()
    conn.close()
