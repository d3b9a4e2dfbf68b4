"""petitions.operations.worker.Worker, started with deploy/petitions-worker.service's command: killed
mid-job (worker and work horse, as systemd kills the unit) and started again under its
name, it retries the abandoned job at once. Needs Redis only."""

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


def test_restarted_worker_retries_the_job_its_killed_run_left(queue, redis_url, procs):
    from rq import Retry

    job = queue.enqueue("time.sleep", JOB_SECONDS, retry=Retry(max=RETRIES), job_timeout=600)
    env = {"PATH": os.environ["PATH"], "REDIS_URL": redis_url, "PETITIONS_WORKER_QUEUES": "packets"}
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
