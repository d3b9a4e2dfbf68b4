"""The one builder of every mail the site sends: confirmations, tickets, rally mail,
updates, account mail and test sends all get the same headers from here.

Every mail: From (MAIL_SENDER), a named To, Reply-To when MAIL_REPLY_TO is set, Date,
a Message-ID in the sender's domain, and Content-Language. Inline images get RFC 2392
Content-IDs (`<qr.RANDOM@domain>`), and the HTML's `cid:` references are rewritten to
match. Bulk mail (updates, reminders, change and cancel notices) also carries List-Id
(RFC 2919) and List-Unsubscribe with List-Unsubscribe-Post (RFC 8058)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app

# Characters a phrase (RFC 5322) may not hold unquoted; a List-Id's readable name drops
# them, since an encoded word (for accents) may not stand inside a quoted string.
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."\x00-\x1f\x7f]+')
_NOT_LABEL = re.compile(r"[^A-Za-z0-9.-]+")  # slugs never hold these; a label may not


@dataclass(frozen=True)
class MailList:
    """The list a bulk mail belongs to: `label` (e.g. "demo.updates") becomes the List-Id
    `<demo.updates.DOMAIN>`, so recipients can filter it; `name` is shown beside it."""

    label: str
    name: str = ""

    def header(self, domain: str) -> str:
        label = _NOT_LABEL.sub("-", self.label).strip(".-")
        name = " ".join(_SPECIALS.sub(" ", self.name).split())[:100]
        list_id = f"<{label}.{domain}>"
        return f"{name} {list_id}" if name else list_id


def mail_domain() -> str:
    """The sender's domain: Message-IDs, Content-IDs and List-Ids look like the site's own."""
    sender = parseaddr(current_app.config["MAIL_SENDER"])[1]
    return sender.rpartition("@")[2] or "petitions.local"


def recipient(email: str, name: str = "") -> Address | str:
    """`"Rosa Díaz" <rosa@example.org>`, encoded as headers need; the bare address when
    there is no name (or the address is one the header parser will not take apart)."""
    name = " ".join((name or "").split())
    if not name:
        return email
    try:
        return Address(display_name=name, addr_spec=email)
    except (ValueError, IndexError, HeaderParseError):
        return email


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    language: str,
    to_name: str = "",
    inline_images: dict[str, bytes] | None = None,
    mail_list: MailList | None = None,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """A plain-text mail with an optional HTML part, in `language`.

    inline_images maps a name to PNG bytes; the HTML refers to it as `src="cid:NAME"`.
    mail_list and unsubscribe_url make it bulk mail (both are given for every mailing)."""
    config = current_app.config
    domain = mail_domain()
    msg = EmailMessage()
    msg["From"] = config["MAIL_SENDER"]
    msg["To"] = recipient(to, to_name)
    if reply_to := config.get("MAIL_REPLY_TO"):
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=domain)
    if mail_list is not None:
        msg["List-Id"] = mail_list.header(domain)
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    if html is not None:
        content_ids = {
            name: f"{name}.{secrets.token_hex(8)}@{domain}" for name in inline_images or {}
        }
        for name, cid in content_ids.items():
            html = html.replace(f'"cid:{name}"', f'"cid:{cid}"')
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[-1]
        for name, data in (inline_images or {}).items():
            html_part.add_related(
                data, maintype="image", subtype="png", cid=f"<{content_ids[name]}>"
            )
    # Last: making the message multipart moves the Content-* headers set before into a part.
    msg["Content-Language"] = language
    return msg
