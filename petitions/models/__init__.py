"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from .account import AccountToken, RecoveryCode, TokenPurpose
from .api_token import ApiToken
from .audit import AuditAction, AuditEntry
from .badge import BadgeCalibration, BadgeDesign, BadgePrint, BadgeSheet
from .event import Attendee, CheckIn, Event, EventStatus
from .mailing import (
    Audience,
    Delivery,
    DeliveryStatus,
    Mailing,
    MailingKind,
    MailingStatus,
    Suppression,
    Update,
)
from .official import Official, OfficialArea, PetitionTarget
from .packet import PacketJob, PacketRecord, PacketSettings, StoryExclusion
from .petition import Petition, PetitionStatus
from .signature import ROLE_LABELS, ROLES, ExportLog, Signature
from .user import Role, User

__all__ = [
    "Audience",
    "Delivery",
    "DeliveryStatus",
    "Mailing",
    "MailingKind",
    "MailingStatus",
    "Suppression",
    "Update",
    "ROLE_LABELS",
    "ROLES",
    "RecoveryCode",
    "AccountToken",
    "ApiToken",
    "AuditAction",
    "AuditEntry",
    "Attendee",
    "BadgeCalibration",
    "BadgeDesign",
    "BadgePrint",
    "BadgeSheet",
    "CheckIn",
    "Event",
    "EventStatus",
    "ExportLog",
    "Official",
    "OfficialArea",
    "PacketJob",
    "PacketRecord",
    "PacketSettings",
    "Petition",
    "PetitionStatus",
    "PetitionTarget",
    "Role",
    "Signature",
    "StoryExclusion",
    "TokenPurpose",
    "User",
]
