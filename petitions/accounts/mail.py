"""Mail for account holders: invitations and password resets (English, as the organizer
pages are). Sending never raises; the caller gets False when the mail did not go."""

from flask import current_app, render_template

from petitions.core.urls import public_url
from petitions.mail.message import build_message
from petitions.mail.transport import send
from petitions.models import User


def _send(user: User, subject: str, template: str, **context) -> bool:
    text = render_template(template, user=user, **context)
    return send(build_message(user.email, subject, text, language="en", to_name=user.name))


def send_invitation(user: User, token: str, invited_by: User | None) -> bool:
    return _send(
        user,
        "You are invited to organize",
        "accounts/mail/invite.txt",
        link=public_url("auth.accept_invite", token=token),
        days=current_app.config["INVITE_LINK_DAYS"],
        invited_by=invited_by,
    )


def send_reset(user: User, token: str) -> bool:
    return _send(
        user,
        "Reset your password",
        "accounts/mail/reset.txt",
        link=public_url("auth.reset_password", token=token),
        minutes=current_app.config["RESET_LINK_MINUTES"],
    )
