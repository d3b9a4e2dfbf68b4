"""The packet's cover letter: its placeholders, the standard letter, and filling it in."""

from __future__ import annotations

import re

from petitions.core.text import clean_text

PLACEHOLDERS = {
    "official": "whom the letter is addressed to, e.g. “Representative Ana Rivera”",
    "title": "the petition's title",
    "ask": "the petition's text",
    "summary": "the petition's one-line summary",
    "sponsors": "the sponsoring organizations",
    "signers": "e.g. “1,234 of your constituents” or “1,234 people”",
    "count": "the number of signatures in this packet",
    "date": "today's date",
}

DEFAULT_LETTER = """Dear {official},

On behalf of {sponsors}, we are delivering to you the petition “{title}”, signed by {signers}.

{ask}

The pages that follow give a summary of who signed, the words of signers who chose to share their stories, and the list of signatures with each signer's town and the date they signed.

We would welcome the chance to meet with you and discuss what you can do.

Respectfully,

{sponsors}"""


def clean_letter(text: str | None) -> str:
    """The organizer's letter, tidied; the standard letter is stored as "" so it stays current."""
    text = clean_text(text)
    return "" if text == clean_text(DEFAULT_LETTER) else text


def fill_letter(template: str, values: dict[str, str]) -> str:
    """Replace known {placeholders}; anything else in braces is left as written."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
