"""Sign-in and account pages: login (with an optional second step), logout, forgotten
and changed passwords, invitations, two-factor enrolment.

Every account action is written to the audit log (services.audit). Links that do not
work (forged, expired, used) get a page that says so, never an error."""

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from petitions.accounts import services as accounts
from petitions.accounts.forms import (
    ChangePasswordForm,
    ConfirmPasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    TwoFactorForm,
)
from petitions.accounts.mail import send_reset
from petitions.core import audit, qr
from petitions.core.access import must_enrol_two_factor
from petitions.core.extensions import db, limiter
from petitions.core.extensions import login as login_manager
from petitions.core.responses import form_page, no_store
from petitions.models import AuditAction, TokenPurpose, User

bp = Blueprint("auth", __name__)
bp.after_request(no_store)

PENDING = "2fa_pending"  # session key: who passed the password step, waiting for the code
PENDING_SECONDS = 300
ENROLLING = "2fa_enrolling"  # session key: the secret shown during enrolment


@login_manager.user_loader
def load_user(user_id: str):
    # "id:session_version" (User.get_id). Anything else, an old version or a deactivated
    # account means no user: that session, or "remember me" cookie, has ended.
    ident, _, version = user_id.partition(":")
    if not (ident.isdigit() and version.isdigit()) or int(ident) >= 2**31:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _2fa_limit():
    return current_app.config["RATELIMIT_2FA"]


def _pending_account() -> str:
    pending = session.get(PENDING) or {}
    return f"2fa-user:{pending.get('id', '-')}"


def _enrolling_account() -> str:
    return f"2fa-user:{current_user.get_id() if current_user.is_authenticated else '-'}"


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        if not urlsplit(target).netloc:
            return target
    return url_for("manage.index")


def _finish_login(user: User, remember: bool, target: str | None, how: str = ""):
    accounts.mark_logged_in(user)
    audit.record(AuditAction.LOGIN, user=user, object_type="user", object_id=user.id, detail=how)
    db.session.commit()
    session.pop(ENROLLING, None)
    login_user(user, remember=remember)
    if must_enrol_two_factor(user):
        flash("Admins need two-factor sign-in here: set it up now.", "error")
        return redirect(url_for("auth.two_factor_setup"))
    return redirect(_safe_next(target))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            known = accounts.find_user(form.email.data)
            audit.record(
                AuditAction.LOGIN_FAILED,
                user=known,
                actor=accounts.login_attempt_label(form.email.data),
                object_type="user",
                object_id=known.id if known else "",
            )
            db.session.commit()
            flash(_("That email and password do not match an active account."), "error")
            return render_template("accounts/login.html", form=form), 401
        if user.two_factor_enabled:
            session[PENDING] = {
                "id": user.id,
                "v": user.session_version,
                "remember": bool(form.remember.data),
                "next": request.args.get("next"),
                "at": int(time.time()),
            }
            return redirect(url_for("auth.two_factor"))
        return _finish_login(user, form.remember.data, request.args.get("next"))
    return form_page("accounts/login.html", form)


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get(PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user = db.session.get(User, pending.get("id"))
    if user is None or not user.active or user.session_version != pending.get("v"):
        return None, {}
    return user, pending


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_2fa_limit, methods=["POST"])
@limiter.limit(_2fa_limit, methods=["POST"], key_func=_pending_account)
def two_factor():
    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Please log in again."), "error")
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        result = accounts.verify_second_factor(user, form.code.data)
        if result != accounts.SecondFactor.WRONG:
            session.pop(PENDING, None)
            how = "with a recovery code" if result == accounts.SecondFactor.RECOVERY_CODE else ""
            return _finish_login(user, pending.get("remember", False), pending.get("next"), how)
        audit.record(
            AuditAction.TWO_FACTOR_FAILED, user=user, object_type="user", object_id=user.id
        )
        db.session.commit()
        form.code.errors.append(_("That code is not right (or was used already)."))
        return render_template("accounts/two_factor.html", form=form), 401
    return form_page("accounts/two_factor.html", form)


@bp.post("/logout")
def logout():
    logout_user()
    session.pop(PENDING, None)
    session.pop(ENROLLING, None)  # a secret shown to this person is for nobody else
    return redirect(url_for("auth.login"))


# --- passwords -------------------------------------------------------------------------


def _reset_limit():
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        found = accounts.reset_link(form.email.data)
        db.session.commit()
        if found is not None:
            send_reset(*found)
        # The same answer either way: this page tells nobody who has an account.
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return form_page("accounts/forgot.html", form)


def _set_password_page(token: str, purpose: TokenPurpose, template: str, action: AuditAction):
    state, row = accounts.check_link(token, purpose)
    if state != accounts.LinkState.OK:
        status = 404 if state == accounts.LinkState.UNKNOWN else 410
        return render_template("accounts/bad_link.html", state=state, purpose=purpose), status
    form = NewPasswordForm()
    if form.validate_on_submit():
        problem = accounts.password_problem(form.password.data, row.user.email)
        if problem is None:
            user = accounts.use_link(row, form.password.data)
            audit.record(action, user=user, object_type="user", object_id=user.id)
            db.session.commit()
            flash(_("Your password is set. Log in with it now."), "ok")
            return redirect(url_for("auth.login"))
        form.password.errors.append(problem)
    return form_page(template, form, user=row.user)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password_page(
        token, TokenPurpose.RESET, "accounts/reset.html", AuditAction.PASSWORD_RESET
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    return _set_password_page(
        token, TokenPurpose.INVITE, "accounts/accept_invite.html", AuditAction.INVITE_ACCEPT
    )


def _renew_login(user: User) -> None:
    """This session (and its "remember me" cookie, if it had one) carries on under the
    new session version; every other one has ended."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=remembered in request.cookies)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not user.check_password(form.current.data):
            form.current.errors.append(_("That is not your current password."))
        elif problem := accounts.password_problem(form.password.data, user.email):
            form.password.errors.append(problem)
        else:
            accounts.set_password(user, form.password.data)
            audit.record(AuditAction.PASSWORD_CHANGE, object_type="user", object_id=user.id)
            db.session.commit()
            _renew_login(user)
            flash(_("Your password is changed. Other devices are logged out."), "ok")
            return redirect(url_for("manage.index"))
    return form_page("accounts/change_password.html", form)


# --- two-factor enrolment --------------------------------------------------------------


@bp.get("/two-factor")
@login_required
def two_factor_settings():
    return render_template(
        "accounts/two_factor_settings.html",
        off_form=ConfirmPasswordForm(prefix="off"),
        codes_form=ConfirmPasswordForm(prefix="codes"),
        codes_left=accounts.recovery_codes_left(current_user),
        required=current_user.is_admin and current_app.config["REQUIRE_2FA_FOR_ADMINS"],
    )


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
@limiter.limit(_2fa_limit, methods=["POST"], key_func=_enrolling_account)
def two_factor_setup():
    user = current_user._get_current_object()
    if user.two_factor_enabled:
        return redirect(url_for("auth.two_factor_settings"))
    secret = session.get(ENROLLING) or accounts.new_totp_secret()
    session[ENROLLING] = secret
    form = TwoFactorForm()
    if form.validate_on_submit():
        codes = accounts.confirm_totp(user, secret, form.code.data)
        if codes is not None:
            audit.record(AuditAction.TWO_FACTOR_ON, object_type="user", object_id=user.id)
            db.session.commit()
            session.pop(ENROLLING, None)
            return render_template("accounts/recovery_codes.html", codes=codes)
        form.code.errors.append(_("That code is not right. Check the time on your phone."))
    uri = accounts.provisioning_uri(user, secret)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return form_page(
        "accounts/two_factor_setup.html", form, qr_svg=qr.svg(uri, _("Two-factor QR code")),
        secret=grouped,
    )  # fmt: skip


def _password_confirmed(form: ConfirmPasswordForm) -> bool:
    if not form.validate_on_submit():
        return False
    if not current_user.check_password(form.current.data):
        flash(_("That is not your current password."), "error")
        return False
    return True


@bp.post("/two-factor/off")
@login_required
def two_factor_off():
    form = ConfirmPasswordForm(prefix="off")
    if current_user.is_admin and current_app.config["REQUIRE_2FA_FOR_ADMINS"]:
        flash(_("Admins must keep two-factor sign-in on."), "error")
    elif _password_confirmed(form):
        accounts.disable_totp(current_user)
        audit.record(AuditAction.TWO_FACTOR_OFF, object_type="user", object_id=current_user.id)
        db.session.commit()
        flash(_("Two-factor sign-in is off."), "ok")
    return redirect(url_for("auth.two_factor_settings"))


@bp.post("/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    form = ConfirmPasswordForm(prefix="codes")
    if not current_user.two_factor_enabled or not _password_confirmed(form):
        return redirect(url_for("auth.two_factor_settings"))
    codes = accounts.new_recovery_codes(current_user)
    db.session.commit()
    return render_template("accounts/recovery_codes.html", codes=codes)
