"""The RQ worker the deployment runs (deploy/petitions-worker.service):

    rq worker --worker-class petitions.operations.worker.Worker --name petitions-$(hostname) \
        packets mail

Jobs get their app from here: the worker makes the app once, from the environment the web
app has (SECRET_KEY, DATABASE_URL, ...), before it forks a work horse for each job, and
each job runs inside that app's context. So job functions (petitions.mail.mailings.run,
petitions.packets.jobs.run_packet_job) are plain service calls, as they are in a thread of
the web app or inline, and no service makes an app of its own.

A worker killed outright (SIGKILL, the OOM killer, a power cut) leaves its job "started"
in Redis. RQ finds such abandoned jobs by their expired heartbeat and retries them
(jobs.py enqueues with `Retry`), but only a minute or more later. A worker that starts
under the name of one that died without registering its death knows better at once:
nothing else runs under its name (one systemd unit per host and name), so that
predecessor's executions are abandoned. It marks them expired and lets RQ's own
StartedJobRegistry.cleanup() retry them, then registers the predecessor's death, which
RQ otherwise refuses to start over.
"""

from rq import Worker as RQWorker
from rq.exceptions import NoSuchJobError

from petitions import create_app
from petitions.core.extensions import db


class Worker(RQWorker):
    app = None

    def bootstrap(self, *args, **kwargs):
        # Before the first fork: a misconfigured worker fails at start, not on each job.
        # Making the app opens no database connection, so no work horse inherits one.
        if self.app is None:
            self.app = create_app()
        super().bootstrap(*args, **kwargs)

    def perform_job(self, job, queue, execution):
        with self.app.app_context():
            try:
                return super().perform_job(job, queue, execution)
            finally:
                db.session.remove()

    def register_birth(self):
        if self.connection.exists(self.key) and not self.connection.hexists(self.key, "death"):
            self.release_predecessor()
        super().register_birth()

    def release_predecessor(self) -> None:
        """Hand the jobs of a dead worker of this name back to RQ's abandoned-job handling."""
        for execution in self.get_current_executions(refresh=True):
            try:
                registry = execution.job.started_job_registry
            except NoSuchJobError:
                continue
            self.log.warning(
                "Worker %s: job %s was abandoned by a previous run of this worker",
                self.name,
                execution.job_id,
            )
            self.connection.zadd(registry.key, {execution.composite_key: 0}, xx=True)
            registry.cleanup()
        self.register_death()
