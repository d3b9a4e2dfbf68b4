from flask import Blueprint, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Petition, PetitionStatus

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    petitions = db.session.scalars(
        select(Petition)
        .where(Petition.status.in_([PetitionStatus.PUBLISHED, PetitionStatus.CLOSED]))
        .order_by(Petition.created_at.desc())
    ).all()
    return render_template("public/index.html", petitions=petitions)
