"""The RQ job paths of the release before petitions/ was regrouped by part: jobs it queued
(in Redis, or scheduled for later) name petitions.services.mailings.run_task,
.due_task and petitions.services.jobs.run_packet_job_task, and still run here.
Remove this package in the next release."""
