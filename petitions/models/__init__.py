"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from .petition import Petition, PetitionStatus
from .signature import ROLES, ExportLog, Signature
from .user import Role, User

__all__ = ["ROLES", "ExportLog", "Petition", "PetitionStatus", "Role", "Signature", "User"]
