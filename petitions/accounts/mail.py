"""Mail for account holders: invitations and password resets (English, as the organizer
pages are). Sending never raises; the caller gets False when the mail did not go."""

from flask import current_app, render_template

from petitions.core.urls import public_url
from petitions.mail.transport import send_mail
from petitions.models import User


def send_invitation(user: User, token: str, invited_by: User | None) -> bool:
    context = {
        "user": user,
        "link": public_url("auth.accept_invite", token=token),
        "days": current_app.config["INVITE_LINK_DAYS"],
        "invited_by": invited_by,
    }
    return send_mail(
        user.email,
        "You are invited to organize",
        render_template("accounts/mail/invite.txt", **context),
    )


def send_reset(user: User, token: str) -> bool:
    context = {
        "user": user,
        "link": public_url("auth.reset_password", token=token),
        "minutes": current_app.config["RESET_LINK_MINUTES"],
    }
    return send_mail(
        user.email, "Reset your password", render_template("accounts/mail/reset.txt", **context)
    )
