"""The update mail: an organizer's news, in each signer's language, registered with
mail/ as the composer of UPDATE mailings (see petitions.mail.registry)."""

from __future__ import annotations

from email.message import EmailMessage

from flask import Flask, render_template
from flask_babel import force_locale

from petitions.core.content import localized
from petitions.core.text import html_to_text
from petitions.core.urls import public_url
from petitions.mail.composer import PLACEHOLDER, personal
from petitions.mail.message import MailList
from petitions.mail.registry import register_composer
from petitions.models import Mailing, MailingKind, Update


def init_app(app: Flask) -> None:
    register_composer(app, MailingKind.UPDATE, update_composer)


def mail_list(update: Update, lang: str) -> MailList:
    """Every update of one petition is one list: `<slug.updates.DOMAIN>`."""
    petition = update.petition
    return MailList(f"{petition.slug}.updates", str(localized(petition, "title", lang)))


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


def update_message(update: Update, to: str, lang: str, token: str, name: str = "") -> EmailMessage:
    """One recipient's copy (the organizer's test send)."""
    return personal(
        to, lang, token, render_update(update, lang), mail_list(update, lang), to_name=name
    )


def update_composer(mailing: Mailing):
    update = mailing.update
    cache: dict[str, tuple[str, str, str]] = {}
    lists: dict[str, MailList] = {}

    def compose(row):
        lang = row.language
        if lang not in cache:
            cache[lang] = render_update(update, lang)
            lists[lang] = mail_list(update, lang)
        return personal(
            row.email, lang, row.unsubscribe_token, cache[lang], lists[lang], to_name=row.name
        )

    return compose
