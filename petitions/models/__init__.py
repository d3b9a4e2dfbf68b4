"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from petitions.models.account import AccountToken, RecoveryCode, TokenPurpose
from petitions.models.api_token import ApiToken
from petitions.models.audit import AuditAction, AuditEntry
from petitions.models.badge import BadgeCalibration, BadgeDesign, BadgePrint, BadgeSheet
from petitions.models.event import (
    INTERPRETATION_LABELS,
    INTERPRETATION_MARKS,
    NEED_LABELS,
    NEED_VALUES,
    Attendee,
    CheckIn,
    Event,
    EventState,
    EventStatus,
    Need,
)
from petitions.models.kiosk import KioskEntry
from petitions.models.mailing import (
    Audience,
    Delivery,
    DeliveryStatus,
    Mailing,
    MailingKind,
    MailingStatus,
    Suppression,
    Update,
)
from petitions.models.official import Official, OfficialArea, PetitionTarget
from petitions.models.packet import PacketJob, PacketRecord, PacketSettings, StoryExclusion
from petitions.models.person import Person, PersonTag, Tag
from petitions.models.petition import Petition, PetitionStatus
from petitions.models.signature import ROLE_LABELS, ROLES, ExportLog, Signature
from petitions.models.user import Role, User
from petitions.models.webhook import Webhook, WebhookAttempt, WebhookDelivery, WebhookStatus

__all__ = [
    "Audience",
    "Delivery",
    "DeliveryStatus",
    "Mailing",
    "MailingKind",
    "MailingStatus",
    "Suppression",
    "Update",
    "INTERPRETATION_LABELS",
    "INTERPRETATION_MARKS",
    "NEED_LABELS",
    "NEED_VALUES",
    "Need",
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
    "EventState",
    "EventStatus",
    "ExportLog",
    "KioskEntry",
    "Official",
    "OfficialArea",
    "PacketJob",
    "PacketRecord",
    "PacketSettings",
    "Person",
    "PersonTag",
    "Petition",
    "PetitionStatus",
    "PetitionTarget",
    "Role",
    "Signature",
    "StoryExclusion",
    "Tag",
    "TokenPurpose",
    "User",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookStatus",
]
