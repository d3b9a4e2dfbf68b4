"""A petition's packet settings: cover letter, sort order, waitlist numbers, delivery."""

from __future__ import annotations

from petitions.core.extensions import db
from petitions.models import Petition
from petitions.models.base import utcnow
from petitions.models.packet import SORT_TOWN, PacketSettings


def settings_for(petition: Petition) -> PacketSettings:
    """The petition's packet settings (not added to the session until changed)."""
    s = db.session.get(PacketSettings, petition.id)
    if s is None:
        s = PacketSettings(petition_id=petition.id, cover_letter="", sort_order=SORT_TOWN,
                           show_waitlist_numbers=False, delivered_note="")  # fmt: skip
    return s


def save_settings(petition: Petition, **values) -> PacketSettings:
    s = settings_for(petition)
    for k, v in values.items():
        setattr(s, k, v)
    db.session.add(s)
    return s


def set_delivered(petition: Petition, delivered: bool, user, note: str = "") -> PacketSettings:
    s = settings_for(petition)
    s.delivered_at = utcnow() if delivered else None
    s.delivered_by_id = user.id if delivered and user else None
    s.delivered_note = note[:300] if delivered else ""
    db.session.add(s)
    return s
