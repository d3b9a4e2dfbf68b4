"""Text normalization and sanitizing shared by forms, dedupe and renderers."""

import re
import unicodedata

import nh3

_SPACES = re.compile(r"\s+")
# Control and format characters (except ordinary whitespace) have no place in a name.
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # the only ones ASCII has (all "Cc")


def clean_line(text: str | None) -> str:
    """NFC, no control characters, single spaces, trimmed. Scripts are kept as written."""
    text = text or ""
    if text.isascii():  # most input, checked without a lookup per character
        text = _ASCII_CONTROL.sub(" ", text)
    else:
        text = "".join(
            ch if unicodedata.category(ch) not in _CONTROL or ch in "\u200c\u200d" else " "
            for ch in unicodedata.normalize("NFC", text)
        )
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str | None) -> str:
    """Like clean_line but keeps line breaks (comments, stories)."""
    text = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n"))
    lines = [clean_line(line) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def full_name(given: str | None, family: str | None) -> str:
    """Given and family name as one line, as an attendee's name and a badge show it."""
    return clean_line(f"{clean_line(given)} {clean_line(family)}")


def name_key(given: str, family: str) -> str:
    """What makes two signatures the same person (with the email)."""
    return unicodedata.normalize("NFKC", f"{clean_line(given)} {clean_line(family)}").casefold()


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "blockquote",
}


def sanitize_html(html: str) -> str:
    """Organizer-written petition text: a small safe subset of HTML; plain text becomes paragraphs."""
    html = (html or "").strip()
    if html and "<" not in html:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", html) if p.strip()]
        html = "".join("<p>" + nh3.clean_text(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


_LINK = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.S | re.I)
_BREAKS = re.compile(r"<br\s*/?>|</(?:p|li|h2|h3|blockquote)>", re.I)


def html_to_text(html: str) -> str:
    """Sanitized HTML (sanitize_html's subset) as plain text, for the plain-text part of a
    mail and the petition's text in a packet's letter: paragraphs at blank lines, list
    items on lines of their own, links as "text (url)"."""
    from html import unescape

    html = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(1) != m.group(2)
                     else m.group(1), html or "")  # fmt: skip
    html = re.sub(r"<li>", "- ", html, flags=re.I)
    html = _BREAKS.sub("\n", html).replace("</ul>", "\n").replace("</ol>", "\n")
    text = unescape(nh3.clean(html, tags=set()))
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines).replace("\n", "\n\n")).strip()
