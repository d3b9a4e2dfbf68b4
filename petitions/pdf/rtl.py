"""Right-to-left text for reportlab's canvas, which draws characters left to right as given.

`visual(text)` shapes Arabic letters into their joined presentation forms (initial,
medial, final, isolated; lam-alef ligatures) and reverses each right-to-left run, so
Arabic and Hebrew names print as written inside left-to-right lines. Text extraction
(pdftotext, pypdf) gives the presentation forms back; NFKC folds them to the letters.
A small, dependency-free subset of the Unicode bidi and Arabic shaping rules: enough for
names, towns and short stories, not for mixed-direction paragraphs with numbers inside.
"""

import re
import unicodedata
from functools import lru_cache

_ANY_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")

# Letters that join only to the letter before them (to the right in writing).
_RIGHT_JOINING = set("آأؤإاةدذرزوىٱ")
_LAM = "ل"
_LAM_ALEF = {"آ": "\ufef5", "أ": "\ufef7", "إ": "\ufef9", "ا": "\ufefb"}  # isolated; +1 = final


def _is_arabic_letter(ch: str) -> bool:
    return "\u0621" <= ch <= "\u064a" or "\u0671" <= ch <= "\u06d3"


def _transparent(ch: str) -> bool:
    return unicodedata.category(ch) == "Mn"


def _joins_forward(ch: str | None) -> bool:
    """Can this letter connect to the letter after it?"""
    return ch is not None and _is_arabic_letter(ch) and ch not in _RIGHT_JOINING and ch != "ء"


def _joins_backward(ch: str | None) -> bool:
    return ch is not None and _is_arabic_letter(ch) and ch != "ء"


@lru_cache(maxsize=4096)
def _form(ch: str, form: str) -> str:
    try:
        return unicodedata.lookup(f"{unicodedata.name(ch)} {form} FORM")
    except (KeyError, ValueError):
        return ch


def shape_arabic(text: str) -> str:
    """Logical-order Arabic → presentation forms (still logical order)."""
    letters = [i for i, ch in enumerate(text) if not _transparent(ch)]
    out = list(text)
    skip = set()
    for n, i in enumerate(letters):
        ch = text[i]
        if i in skip or not _is_arabic_letter(ch):
            continue
        prev = text[letters[n - 1]] if n > 0 else None
        nxt = text[letters[n + 1]] if n + 1 < len(letters) else None
        joined_before = _joins_forward(prev) and letters[n - 1] not in skip
        if ch == _LAM and nxt in _LAM_ALEF:
            lig = _LAM_ALEF[nxt]
            out[i] = chr(ord(lig) + 1) if joined_before else lig
            out[letters[n + 1]] = ""
            skip.add(letters[n + 1])
            continue
        joins_after = _joins_forward(ch) and _joins_backward(nxt)
        if joined_before and joins_after:
            out[i] = _form(ch, "MEDIAL")
        elif joined_before:
            out[i] = _form(ch, "FINAL")
        elif joins_after:
            out[i] = _form(ch, "INITIAL")
        else:
            out[i] = _form(ch, "ISOLATED")
    return "".join(out)


def _strong_rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def _rtl_or_neutral_inside(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL", "NSM", "WS", "ON", "AN", "CS", "ET", "ES")


@lru_cache(maxsize=2048)
def visual(text: str) -> str:
    """Left-to-right drawing order for a line that may contain right-to-left runs."""
    if text.isascii() or not _ANY_RTL.search(text):
        return text
    text = shape_arabic(text)
    out: list[str] = []
    i = 0
    while i < len(text):
        if not _strong_rtl(text[i]):
            out.append(text[i])
            i += 1
            continue
        j = i
        end = i  # last strong RTL character of the run
        while j < len(text) and _rtl_or_neutral_inside(text[j]):
            if _strong_rtl(text[j]):
                end = j
            j += 1
        out.append(text[i : end + 1][::-1])
        i = end + 1
    return "".join(out)
