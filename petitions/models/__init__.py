"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from .event import Attendee, CheckIn, Event, EventStatus
from .petition import Petition, PetitionStatus
from .signature import ROLES, ExportLog, Signature
from .user import Role, User

__all__ = [
    "Attendee",
    "CheckIn",
    "Event",
    "EventStatus",
    "ROLES",
    "ExportLog",
    "Petition",
    "PetitionStatus",
    "Role",
    "Signature",
    "User",
]
