from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..api.auth import forget_tokens_of
from ..auth.decorators import admin_required, staff_required
from ..auth.forms import UserForm
from ..extensions import db
from ..models import Petition, User
from ..responses import form_page, no_store
from ..services.accounts import AccountError, create_user
from ..services.dashboard import counted_by_petition

bp = Blueprint("manage", __name__)
bp.after_request(no_store)


@bp.get("/")
@staff_required
def index():
    petitions, counts = [], {}
    if current_user.can_organize:
        petitions = db.session.scalars(
            select(Petition).order_by(  # archived ones last
                Petition.archived_at.is_not(None), Petition.created_at.desc()
            )
        ).all()
        counts = counted_by_petition([p.id for p in petitions])
    return render_template("manage/index.html", petitions=petitions, counts=counts)


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user, password = create_user(
                form.email.data, form.role.data, form.password.data or None, form.name.data or ""
            )
        except AccountError as e:
            form.email.errors.append(str(e))
        else:
            db.session.commit()
            if form.password.data:
                flash(f"Added {user.email} ({user.role}).", "ok")
            else:
                flash(f"Added {user.email} ({user.role}). Their password: {password}", "ok")
            return redirect(url_for("manage.users"))
    accounts = db.session.scalars(select(User).order_by(User.email)).all()
    return form_page("manage/users.html", form, accounts=accounts)


@bp.post("/users/<int:user_id>/active")
@admin_required
def toggle_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
    else:
        user.active = not user.active
        db.session.commit()
        forget_tokens_of(user)
        flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "ok")
    return redirect(url_for("manage.users"))
