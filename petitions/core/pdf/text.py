"""Text fitted to a width, the same way in every PDF.

Text is given in reading order and measured as drawn (`fonts.string_width`: the fallback
font for CJK, Arabic shaped). Nothing here draws.

- `wrap`: greedy word wrap. A word wider than the line (a URL, or Chinese or Japanese
  text, which has no spaces) is broken between characters at the width. Line breaks in
  the text start a new line; blank lines are dropped. With `max_lines`, text left out is
  shown by a "…" at the end of the last line kept, followed by the lines of `more` (a
  note such as "continued online"), all within max_lines.
- `truncate`: the text, or its longest prefix that fits followed by a visible "…".
- `fit_size`: the largest size, down to a minimum, at which one line fits.
- `fit`: shrink to fit; still too wide at the minimum size, truncate.
"""

from collections.abc import Callable

from petitions.core.pdf import fonts
from petitions.core.pdf.fonts import REGULAR

ELLIPSIS = "…"


def _longest_prefix(text: str, fits: Callable[[str], bool]) -> int:
    """The length of the longest prefix of text that fits (widths grow with length)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(text[:mid]):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _cut(text: str, width: float, size: float, font: str) -> str:
    """The longest prefix of text that fits followed by "…", and the "…"."""
    n = _longest_prefix(
        text, lambda p: fonts.string_width(p.rstrip() + ELLIPSIS, size, font) <= width
    )
    return text[:n].rstrip() + ELLIPSIS


def truncate(text: str, width: float, size: float, font: str = REGULAR) -> str:
    """The text, or its longest prefix that fits with a visible "…"."""
    if fonts.string_width(text, size, font) <= width:
        return text
    return _cut(text, width, size, font)


def _wrap_paragraph(paragraph: str, width: float, size: float, font: str) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in paragraph.split():
        candidate = f"{line} {word}" if line else word
        if fonts.string_width(candidate, size, font) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while fonts.string_width(word, size, font) > width:
            n = _longest_prefix(word, lambda p: fonts.string_width(p, size, font) <= width)
            n = max(n, 1)  # at least one character a line, however narrow
            lines.append(word[:n])
            word = word[n:]
        line = word
    if line:
        lines.append(line)
    return lines


def wrap(
    text: str,
    width: float,
    size: float,
    font: str = REGULAR,
    max_lines: int | None = None,
    more: str = "",
) -> list[str]:
    """The lines of text wrapped to width; see the module docstring."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        lines += _wrap_paragraph(paragraph, width, size, font)
        if max_lines is not None and len(lines) > max_lines:
            break
    if max_lines is None or len(lines) <= max_lines:
        return lines
    tail = _wrap_paragraph(more, width, size, font)
    lines = lines[: max(0, max_lines - len(tail))]
    if lines:
        lines[-1] = _cut(lines[-1], width, size, font)
    return lines + tail


def fit_size(text: str, width: float, size: float, min_size: float, font: str = REGULAR):
    """The largest size ≤ size at which text fits width (never below min_size)."""
    measured = fonts.string_width(text, size, font)
    if measured <= width or measured == 0:
        return size
    # 0.999: the exact ratio can land a hair over width in floating point
    return max(min_size, size * width / measured * 0.999)


def fit(text: str, width: float, size: float, min_size: float, font: str = REGULAR):
    """(text, size): shrunk to fit width; below min_size, cut with a visible "…"."""
    size = fit_size(text, width, size, min_size, font)
    return truncate(text, width, size, font), size
