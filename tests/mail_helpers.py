"""Reading received mail (the smtp_server fixture's messages, or outbox .eml files)."""

import email
import email.policy
from pathlib import Path


def addressee(msg) -> str:
    """The bare address of the one recipient in To (which also names them)."""
    (address,) = msg["To"].addresses
    return address.addr_spec


def outbox(folder) -> list:
    """The messages filed in an outbox folder (no MAIL_SERVER), oldest first."""
    files = sorted(Path(folder).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]
