"""What happened, for whoever listens: a new signature, RSVP, check-in or unsubscribe.

The parts that make these things (signing, rallies, mail) announce them here, and a part
that wants to hear of them (webhooks) connects to the signal at app setup, so the
announcing part never imports the listening one.

`after_commit(signal, **data)` sends the signal once the session's transaction has
committed (nothing is announced that a rollback then takes back). It costs one look at
the signal's receivers when nobody listens. Receivers run inside the session's commit:
they must not use the session (one that needs the database takes its own connection),
and they should only hand the work on (a queue, a thread, an RQ job), never wait.
"""

from __future__ import annotations

import logging

from blinker import Namespace, Signal
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from petitions.core.extensions import db

log = logging.getLogger(__name__)
_signals = Namespace()

# Each is sent with the app as sender; the keyword data named next to it.
signature_created = _signals.signal("signature.created")  # signature_id (counted now)
attendance_created = _signals.signal("attendance.created")  # attendee_id
checkin_created = _signals.signal("checkin.created")  # attendee_id
person_unsubscribed = _signals.signal("person.unsubscribed")  # email, reason

_KEY = "petitions.signals.after_commit"


def after_commit(signal: Signal, **data) -> None:
    """Send `signal` with `data` when the session's transaction commits."""
    if not signal.receivers:
        return
    db.session.info.setdefault(_KEY, []).append((signal, data))


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if not pending or not has_app_context():
        return
    app = current_app._get_current_object()
    for signal, data in pending:
        try:
            signal.send(app, **data)
        except Exception:  # a listener's failure is not the committed action's
            log.exception("a receiver of %s failed", signal.name)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)
