"""The message each recipient of a mailing gets, in their language, with the headers
bulk mail needs: List-Unsubscribe (an https URL of the one-click unsubscribe page) and
List-Unsubscribe-Post (RFC 8058), Content-Language, and a visible unsubscribe link.

Templates are rendered once per language; only the recipient's unsubscribe URL is put
in per message, so a send of many thousands renders two templates, not thousands."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from flask import render_template
from flask_babel import force_locale

from petitions.core.content import localized
from petitions.core.text import html_to_text
from petitions.core.urls import public_url
from petitions.mail.transport import build_message
from petitions.models import Mailing, MailingKind, Update

# Stands in for the recipient's unsubscribe URL in the rendered templates (no character
# in it is changed by HTML escaping).
PLACEHOLDER = "UNSUBSCRIBE0URL0PLACEHOLDER"


def unsubscribe_url(token: str) -> str:
    return public_url("unsubscribe.unsubscribe", token=token)


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def personal(
    to: str, lang: str, token: str, rendered: tuple[str, str, str], **extra
) -> EmailMessage:
    subject, text, html = rendered
    url = unsubscribe_url(token)
    return build_message(
        to,
        subject,
        text.replace(PLACEHOLDER, url),
        html.replace(PLACEHOLDER, url),
        language=lang,
        headers=unsubscribe_headers(url),
        **extra,
    )


def render_update(update: Update, lang: str) -> tuple[str, str, str]:
    """(subject, text, html) of the update as `lang`'s recipients see it."""
    petition = update.petition
    with force_locale(lang):
        body = localized(update, "body", lang)
        context = dict(
            update=update,
            petition=petition,
            lang=lang,
            title=localized(petition, "title", lang),
            subject=localized(update, "subject", lang),
            body_html=body,
            body_text=html_to_text(body),
            petition_url=public_url("public.petition", slug=petition.slug),
            unsubscribe_url=PLACEHOLDER,
        )
        return (
            str(context["subject"]),
            render_template("updates/mail/update.txt", **context),
            render_template("updates/mail/update.html", **context),
        )


def update_message(update: Update, to: str, lang: str, token: str) -> EmailMessage:
    return personal(to, lang, token, render_update(update, lang))


def composer_for(mailing: Mailing) -> Callable:
    """A function from a delivery row to its message (None: nothing to send any more)."""
    if mailing.kind == MailingKind.UPDATE:
        update = mailing.update
        cache: dict[str, tuple[str, str, str]] = {}

        def compose(row):
            if row.language not in cache:
                cache[row.language] = render_update(update, row.language)
            return personal(row.email, row.language, row.unsubscribe_token, cache[row.language])

        return compose
    from petitions.rallies.mail import rally_composer

    return rally_composer(mailing)
