"""Old RQ job name of packet jobs (see petitions/services/__init__.py). Remove in the next
release."""

from petitions.packets.jobs import run_packet_job as run_packet_job_task

__all__ = ["run_packet_job_task"]
