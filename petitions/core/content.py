"""Petition and event text in the reader's language: the Spanish twin (`title_es`, ...)
when there is one, else the English text, marked with the language it is really in.

Twins are named <field>_<code>: petitions' title, summary, body, addressed_to and
waitlist_label; events' name, description, meeting_point and route_notes; updates'
subject and body. One rule, every caller: pages, the thank-you page, share cards, .ics files, badges and
mail all ask `localized(obj, "title")`, and templates mark the element with
`lang="{{ text.lang }}"`."""

from flask_babel import get_locale
from markupsafe import Markup

from petitions.core.text import sanitize_html

DEFAULT_LANGUAGE = "en"
# The languages a person's signature or RSVP records, and their mail is written in (the
# config's LANGUAGES; the default first).
LANGUAGES = ("en", "es")
# Twins that hold sanitized HTML (rendered as Markup).
HTML_FIELDS = {"body", "description"}


class Localized(str):
    """A piece of content (a str, usable anywhere text is) that knows its language."""

    lang: str

    def __new__(cls, value: str, lang: str):
        self = super().__new__(cls, value or "")
        self.lang = lang
        return self


class LocalizedHtml(Markup):
    """Sanitized HTML content that knows its language."""

    lang: str

    def __new__(cls, value: str, lang: str):
        self = super().__new__(cls, value or "")
        self.lang = lang
        return self


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def localized(obj, field: str, lang: str | None = None) -> Localized:
    """`obj.<field>_<lang>` when it is filled in, else `obj.<field>`, with its language."""
    lang = lang or current_language()
    value, value_lang = getattr(obj, field) or "", DEFAULT_LANGUAGE
    if lang != DEFAULT_LANGUAGE:
        twin = getattr(obj, f"{field}_{lang}", None) or ""
        if twin.strip():
            value, value_lang = twin, lang
    if field in HTML_FIELDS:
        return LocalizedHtml(sanitize_html(value), value_lang)
    return Localized(value, value_lang)


def lang_attr(text, page_lang: str | None = None) -> Markup:
    """` lang="en"` for an element whose text is not in the page's language, else ""."""
    text_lang = getattr(text, "lang", None)
    if text_lang and text_lang != (page_lang or current_language()):
        return Markup(' lang="{}"').format(text_lang)
    return Markup("")
