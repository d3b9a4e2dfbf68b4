from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from petitions.accounts import services as accounts
from petitions.accounts.api_tokens import (
    all_api_tokens,
    create_api_token,
    forget_token,
    forget_tokens_of,
    revoke_api_token,
)
from petitions.accounts.forms import ApiTokenForm, InviteForm, RoleForm
from petitions.accounts.mail import send_invitation
from petitions.core import audit
from petitions.core.access import admin_required, organizer_required, staff_required
from petitions.core.extensions import db
from petitions.core.responses import form_page, no_store
from petitions.core.timezones import utc_to_local
from petitions.core.urls import public_url
from petitions.models import AuditAction, Petition, Role, User
from petitions.models.api_token import ApiToken

bp = Blueprint("manage", __name__)
bp.after_request(no_store)


@bp.get("/")
@staff_required
def index():
    # What each role starts with comes from the parts (core.sections "manage_index").
    return render_template("accounts/index.html")


def _invite_sent(user: User, token: str, again: bool = False) -> None:
    if send_invitation(user, token, current_user):
        flash(f"{'Sent a new' if again else 'Sent an'} invitation to {user.email}.", "ok")
    else:
        # The mail did not go: the admin can hand the link over some other way.
        link = public_url("auth.accept_invite", token=token)
        flash(f"Could not mail {user.email}. Give them this link yourself: {link}", "error")


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user, token = accounts.invite(form.email.data, form.role.data, form.name.data or "")
        except accounts.AccountError as e:
            form.email.errors.append(str(e))
        else:
            audit.record(
                AuditAction.USER_INVITE, object_type="user", object_id=user.id, detail=user.role
            )
            db.session.commit()
            _invite_sent(user, token)
            return redirect(url_for("manage.users"))
    accounts_list = db.session.scalars(select(User).order_by(User.email)).all()
    return form_page(
        "accounts/users.html",
        form,
        accounts=accounts_list,
        roles=[r.value for r in Role],
        when=utc_to_local,
    )


def _other_user(user_id: int) -> User:
    user = db.session.get(User, user_id) if user_id < 2**31 else None
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/active")
@admin_required
def toggle_user(user_id: int):
    user = _other_user(user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
    else:
        accounts.set_active(user, not user.active)
        action = AuditAction.USER_REACTIVATE if user.active else AuditAction.USER_DEACTIVATE
        audit.record(action, object_type="user", object_id=user.id)
        db.session.commit()
        forget_tokens_of(user)
        flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "ok")
    return redirect(url_for("manage.users"))


@bp.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id: int):
    user = _other_user(user_id)
    form = RoleForm()
    if user.id == current_user.id:
        flash("You cannot change your own role: ask another admin.", "error")
    elif not form.validate_on_submit():
        flash("Choose admin, organizer or volunteer.", "error")
    elif form.role.data != user.role:
        before = user.role
        accounts.set_role(user, form.role.data)
        audit.record(
            AuditAction.USER_ROLE,
            object_type="user",
            object_id=user.id,
            detail=f"{before} → {user.role}",
        )
        db.session.commit()
        flash(f"{user.email} is now {user.role}.", "ok")
    return redirect(url_for("manage.users"))


@bp.post("/users/<int:user_id>/invite")
@admin_required
def resend_invite(user_id: int):
    user = _other_user(user_id)
    if not user.invited or not user.active:
        flash(f"{user.email} has set a password already.", "error")
        return redirect(url_for("manage.users"))
    token = accounts.invitation_link(user)
    audit.record(AuditAction.USER_INVITE, object_type="user", object_id=user.id, detail="again")
    db.session.commit()
    _invite_sent(user, token, again=True)
    return redirect(url_for("manage.users"))


def _active_users() -> list[User]:
    return db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.email)).all()


@bp.route("/api-tokens", methods=["GET", "POST"])
@admin_required
def api_tokens():
    """Tokens for scanner devices and scripts, as `flask api-tokens` makes them. A new
    token's secret is in the answer to its POST only: never stored, never in a redirect."""
    owners = _active_users()
    form = ApiTokenForm(owners)
    secret = None
    if form.validate_on_submit():
        owner = db.session.get(User, form.user_id.data)
        _, secret = create_api_token(owner, form.name.data.strip())
        db.session.commit()
        form = ApiTokenForm(owners, formdata=None)  # an empty form for the next one
    if not form.is_submitted() or secret:
        form.user_id.data = current_user.id
    return form_page(
        "accounts/api_tokens.html",
        form,
        status=200 if secret else None,
        tokens=all_api_tokens(),
        secret=secret,
        when=utc_to_local,
    )


@bp.post("/api-tokens/<int:token_id>/revoke")
@admin_required
def revoke_api_token_view(token_id: int):
    row = db.session.get(ApiToken, token_id) if token_id < 2**31 else None
    if row is None:
        abort(404)
    if revoke_api_token(row):
        db.session.commit()
        forget_token(row)
        flash(f"Token {row.id} ({row.name or 'no name'}) revoked: it stops working at once.", "ok")
    return redirect(url_for("manage.api_tokens"))


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/audit")
@organizer_required
def audit_log():
    """Admins read the whole log; organizers the entries of petitions they created."""
    person = request.args.get("user", type=int)
    f = audit.AuditFilter(
        user_id=person if current_user.is_admin and person and person < 2**31 else None,
        action=(request.args.get("action") or "")[:40] or None,
        since=_day("since"),
        until=_day("until"),
    )
    page = max(1, min(request.args.get("page", type=int) or 1, 100_000))
    entries, more = audit.entries(current_user, f, page)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "accounts/audit.html",
        entries=entries,
        more=more,
        page=page,
        f=f,
        args=args,
        people=audit.people() if current_user.is_admin else [],
        actions=sorted({*AuditAction, *audit.actions_seen(current_user)}),
        titles={i: slug for i, slug in db.session.execute(select(Petition.id, Petition.slug))},
        when=utc_to_local,
    )
