from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from ..extensions import login as login_manager
from ..models import User
from ..responses import form_page, no_store
from ..services.accounts import authenticate
from .forms import LoginForm

bp = Blueprint("auth", __name__)
bp.after_request(no_store)


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id))


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        if not urlsplit(target).netloc:
            return target
    return url_for("manage.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("That email and password do not match an active account."), "error")
        return render_template("auth/login.html", form=form), 401
    return form_page("auth/login.html", form)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
