"""Signers' stories in a packet: which ones may go in, and the organizer's review."""

from __future__ import annotations

from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Petition, Signature
from petitions.models.packet import StoryExclusion
from petitions.petition.counting import counted


def consented_story():
    """Consent to include a story: a comment, and consent to show the signer's name."""
    return (func.length(func.trim(Signature.comment)) > 0) & Signature.show_name.is_(True)


def stories_page(petition: Petition, page: int = 1, per_page: int = 50):
    """Consented stories with their exclusion flag, for the organizer's review page."""
    where = counted(petition.id) & consented_story()
    total = db.session.scalar(select(func.count(Signature.id)).where(where)) or 0
    excluded = (
        select(StoryExclusion.signature_id)
        .where(StoryExclusion.petition_id == petition.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Signature, Signature.id.in_(excluded).label("excluded"))
        .where(where)
        .order_by(Signature.created_at.desc(), Signature.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return rows, total


def set_story_excluded(petition: Petition, signature_id: int, excluded: bool) -> bool:
    sig = db.session.scalar(
        select(Signature).where(Signature.id == signature_id, Signature.petition_id == petition.id)
    )
    if sig is None:
        return False
    row = db.session.get(StoryExclusion, (petition.id, signature_id))
    if excluded and row is None:
        db.session.add(StoryExclusion(petition_id=petition.id, signature_id=signature_id))
    elif not excluded and row is not None:
        db.session.delete(row)
    return True
