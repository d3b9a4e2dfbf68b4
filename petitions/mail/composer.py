"""The message each recipient of a mailing gets, in their language, built as bulk mail:
List-Id, List-Unsubscribe (an https URL of the one-click unsubscribe page) and
List-Unsubscribe-Post (RFC 8058), see petitions.mail.message, and a visible unsubscribe
link.

What a mailing says comes from the part that sends it (registered in
petitions.mail.registry). Parts render once per language with PLACEHOLDER where the
unsubscribe link goes; only the recipient's unsubscribe URL is put in per message, so a
send of many thousands renders two templates, not thousands."""

from __future__ import annotations

from email.message import EmailMessage

from petitions.core.urls import public_url
from petitions.mail.message import MailList, build_message

# Stands in for the recipient's unsubscribe URL in the rendered templates (no character
# in it is changed by HTML escaping).
PLACEHOLDER = "UNSUBSCRIBE0URL0PLACEHOLDER"


def unsubscribe_url(token: str) -> str:
    return public_url("unsubscribe.unsubscribe", token=token)


def personal(
    to: str,
    lang: str,
    token: str,
    rendered: tuple[str, str, str],
    mail_list: MailList,
    *,
    to_name: str = "",
    inline_images: dict[str, bytes] | None = None,
) -> EmailMessage:
    """One recipient's message of a mailing; `rendered` is (subject, text, html)."""
    subject, text, html = rendered
    url = unsubscribe_url(token)
    return build_message(
        to,
        subject,
        text.replace(PLACEHOLDER, url),
        html.replace(PLACEHOLDER, url),
        language=lang,
        to_name=to_name,
        inline_images=inline_images,
        mail_list=mail_list,
        unsubscribe_url=url,
    )
