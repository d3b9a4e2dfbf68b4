"""Old RQ job names of bulk mail (see petitions/services/__init__.py). Remove in the next
release."""

from petitions.mail.mailings import run as run_task
from petitions.mail.mailings import run_due as due_task

__all__ = ["due_task", "run_task"]
