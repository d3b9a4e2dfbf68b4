"""The message each recipient of a mailing gets, in their language, with the headers
bulk mail needs: List-Unsubscribe (an https URL of the one-click unsubscribe page) and
List-Unsubscribe-Post (RFC 8058), Content-Language, and a visible unsubscribe link.

What a mailing says comes from the part that sends it (registered in
petitions.mail.registry). Parts render once per language with PLACEHOLDER where the
unsubscribe link goes; only the recipient's unsubscribe URL is put in per message, so a
send of many thousands renders two templates, not thousands."""

from __future__ import annotations

from email.message import EmailMessage

from petitions.core.urls import public_url
from petitions.mail.transport import build_message

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
