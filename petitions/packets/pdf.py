"""Delivery packet PDF: per section (one official, or everyone) a cover letter, a summary
with a chart, signers' stories and the numbered signature list.

A plain function over plain data: `render_packet(doc, out)` writes to a file object and
never touches Flask or the database. The signature list is drawn straight on the canvas
from an iterator (rows streamed from the database), one text object per page, so 100,000
rows need neither a platypus Table nor the rows in memory. Every part has a fixed layout:
the flowing parts (letter, summary, stories) are laid out first, the list's page count
follows from its row count, so "Page X of Y" is known before the first page is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase import pdfmetrics

from petitions.core.pdf import fonts
from petitions.core.pdf.fonts import BOLD, REGULAR, draw_right, draw_string
from petitions.core.pdf.text import truncate, wrap
from petitions.core.places import town_key, town_label
from petitions.core.timezones import utc_to_local

PAPER = {"letter": LETTER, "a4": A4}
MARGIN = 54  # 3/4 inch
HEADER_H = 30
FOOTER_H = 30
ROW_H = 13
ROW_SIZE = 9
BODY_SIZE = 10.5
LEADING = 14.5
STORY_SIZE = 10
STORY_LEADING = 13.5
STORY_MAX_LINES = 24  # longer stories are cut, with a visible note
INK = (0.11, 0.12, 0.14)
MUTED = (0.35, 0.38, 0.42)
RULE = (0.78, 0.8, 0.83)
BRAND = (0.04, 0.36, 0.68)

# (given_name, family_name, town, counted_at (naive UTC: Signature.counted_at), waitlist_number)
Row = tuple


@dataclass
class Summary:
    total: int
    first: datetime | None = None  # naive UTC
    last: datetime | None = None
    by_town: list[tuple[str, int]] = field(default_factory=list)
    by_role: list[tuple[str, int]] = field(default_factory=list)
    waitlist_count: int = 0
    per_day: list[tuple[date, int]] = field(default_factory=list)  # local dates
    # (event name, when, checked in, RSVPs)
    attendance: list[tuple[str, str, int, int]] = field(default_factory=list)


@dataclass
class Story:
    name: str
    town: str
    text: str


@dataclass
class Section:
    heading: str  # whom this section is for: "State Rep. Ana Rivera (District 7)"
    scope_text: str  # which signers: "Constituents: Hartford; ZIP 06106" / "Everyone who signed"
    address_lines: list[str]
    letter: str  # the cover letter, placeholders already filled in
    summary: Summary
    stories: list[Story]
    row_count: int
    rows: Callable[[], Iterable[Row]]  # opened when the list is drawn
    sort_order: str = "town"  # or "date"


@dataclass
class PacketDocument:
    petition_title: str
    author: str
    subject: str
    sections: list[Section]
    paper: str = "letter"
    show_waitlist_numbers: bool = False
    generated_on: str = ""
    timezone: tzinfo = UTC
    keywords: str = "petition, signatures"


@dataclass
class RenderResult:
    pages: int
    rows: int


# --- text helpers (fitting text: text.py; drawing it: fonts.py) -------------------------


FIGURE_SPACE = "\u2007"  # as wide as a digit in DejaVu Sans


def _line(t, text: str, size: float = ROW_SIZE, font: str = REGULAR) -> None:
    """One line in a column text object (T*), switching fonts only where a script needs it."""
    if text.isascii():
        t.textLine(text)
        return
    text = fonts.visual(text)
    if fonts._charmap(font).issuperset(map(ord, text)):
        t.textLine(text)
        return
    parts = fonts.runs(text, font)
    for name, part in parts[:-1]:
        t.setFont(name, size, ROW_H)
        t.textOut(part)
    name, part = parts[-1]
    t.setFont(name, size, ROW_H)
    t.textLine(part)
    t.setFont(font, size, ROW_H)


def _fmt_int(n: int) -> str:
    return f"{n:,}"


# --- flowing parts: blocks of fixed height, paginated before drawing ---------------------


@dataclass
class Block:
    height: float
    draw: Callable  # (canvas, x, y_top, width) -> None
    spacer: bool = False


def _text_block(text: str, size: float, font: str = REGULAR, colour=INK, lead=None) -> Block:
    def draw(c, x, y, _w):
        c.setFillColorRGB(*colour)
        draw_string(c, x, y - size, text, size, font)
        c.setFillColorRGB(*INK)

    return Block(lead or size * 1.4, draw)


def _space(h: float) -> Block:
    return Block(h, lambda *_: None, spacer=True)


def _paragraphs(text: str, width: float, size=BODY_SIZE, font=REGULAR, lead=LEADING) -> list:
    blocks: list[Block] = []
    for para in text.replace("\r\n", "\n").split("\n"):
        if not para.strip():
            blocks.append(_space(lead * 0.6))
            continue
        for line in wrap(para.strip(), width, size, font):
            blocks.append(_text_block(line, size, font, lead=lead))
    return blocks


def _heading(text: str, width: float, size: float = 16) -> Block:
    text = truncate(text, width, size, BOLD)
    return _text_block(text, size, BOLD, colour=BRAND, lead=size * 1.8)


def _table_row(cells: list[tuple[str, float, str]], size: float = 10, bold=False) -> Block:
    """cells: (text, x offset, align 'l'|'r'); text already fits."""
    font = BOLD if bold else REGULAR

    def draw(c, x, y, width):
        for text, dx, align in cells:
            if align == "r":
                draw_right(c, x + dx, y - size, text, size, font)
            else:
                draw_string(c, x + dx, y - size, text, size, font)
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(0.4)
        c.line(x, y - size * 1.55, x + width, y - size * 1.55)

    return Block(size * 1.75, draw)


def _paginate(blocks: list[Block], frame_h: float) -> list[list[Block]]:
    pages: list[list[Block]] = [[]]
    used = 0.0
    for b in blocks:
        if pages[-1] and used + b.height > frame_h:
            pages.append([])
            used = 0.0
        pages[-1].append(b)
        used += b.height
    # No page of nothing but space.
    return [p for p in pages if any(not b.spacer for b in p)] or [[]]


def _letter_blocks(doc: PacketDocument, s: Section, width: float) -> list[Block]:
    blocks = [_text_block(doc.generated_on, BODY_SIZE, lead=LEADING), _space(LEADING)]
    for line in s.address_lines:
        blocks.append(_text_block(truncate(line, width, BODY_SIZE), BODY_SIZE, lead=LEADING))
    blocks.append(_space(LEADING * 1.5))
    blocks += _paragraphs(s.letter, width)
    return blocks


def _summary_blocks(doc: PacketDocument, s: Section, width: float) -> list[Block]:
    sm = s.summary
    tz = doc.timezone
    blocks = [_heading("Summary", width)]
    blocks += _paragraphs(s.scope_text, width, size=10, lead=13.5)
    blocks.append(_space(6))
    facts = [("Signatures", _fmt_int(sm.total))]
    if sm.first and sm.last:
        facts.append(("Signed between", f"{utc_to_local(sm.first, tz):%B %-d, %Y} and "
                                         f"{utc_to_local(sm.last, tz):%B %-d, %Y}"))  # fmt: skip
    share = f" ({sm.waitlist_count * 100 / sm.total:.0f}%)" if sm.total else ""
    facts.append(("Gave a magnet-school waitlist number", f"{_fmt_int(sm.waitlist_count)}{share}"))
    for label, value in facts:
        blocks.append(_table_row([(label, 0, "l"), (value, width, "r")], size=10.5))
    if sm.per_day:
        blocks.append(_space(10))
        blocks.append(_chart_block(sm.per_day, width))
    if sm.by_role:
        blocks += [_space(8), _heading("By role", width, 12)]
        blocks += [_table_row([(truncate(r, width - 80, 10), 0, "l"), (_fmt_int(n), width, "r")])
                   for r, n in sm.by_role]  # fmt: skip
    if sm.attendance:
        blocks += [_space(8), _heading("Rally attendance", width, 12)]
        blocks.append(_table_row([("Event", 0, "l"), ("Checked in", width - 70, "r"),
                                  ("RSVPs", width, "r")], size=9, bold=True))  # fmt: skip
        for name, when, checked_in, rsvps in sm.attendance:
            label = truncate(f"{name} — {when}", width - 150, 10)
            blocks.append(_table_row([(label, 0, "l"), (_fmt_int(checked_in), width - 70, "r"),
                                      (_fmt_int(rsvps), width, "r")]))  # fmt: skip
    if sm.by_town:
        blocks += [_space(8), _heading("By town", width, 12)]
        blocks.append(_table_row([("Town", 0, "l"), ("Signatures", width - 70, "r"),
                                  ("Share", width, "r")], size=9, bold=True))  # fmt: skip
        for town, n in sm.by_town:
            pct = f"{n * 100 / sm.total:.1f}%" if sm.total else ""
            blocks.append(_table_row([(truncate(town or "(no town given)", width - 160, 10), 0, "l"),
                                      (_fmt_int(n), width - 70, "r"), (pct, width, "r")]))  # fmt: skip
    return blocks


def _story_blocks(s: Section, width: float) -> list[Block]:
    blocks = [_heading("In their own words", width)]
    blocks += _paragraphs(
        "Signers who agreed to have their name shown, in their own words.", width, size=10
    )
    blocks.append(_space(6))
    for story in s.stories:
        lines = wrap(story.text, width - 12, STORY_SIZE, max_lines=STORY_MAX_LINES + 1,
                     more="[shortened for this packet]")  # fmt: skip
        who = truncate(f"— {story.name}, {story.town}" if story.town else f"— {story.name}",
                       width - 12, 9.5, BOLD)  # fmt: skip
        blocks.append(_story_block(lines, who))
    return blocks


def _story_block(lines: list[str], who: str) -> Block:
    height = len(lines) * STORY_LEADING + 14 + 12

    def draw(c, x, y, _w):
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(2)
        c.line(x + 2, y - 2, x + 2, y - len(lines) * STORY_LEADING - 12)
        yy = y - STORY_SIZE
        for line in lines:
            draw_string(c, x + 12, yy, line, STORY_SIZE)
            yy -= STORY_LEADING
        c.setFillColorRGB(*MUTED)
        draw_string(c, x + 12, yy - 2, who, 9.5, BOLD)
        c.setFillColorRGB(*INK)

    return Block(height, draw)


def _chart_block(per_day: list[tuple[date, int]], width: float) -> Block:
    """Signatures over time as bars: by day, by week (over two months) or month (over a year)."""
    first, last = per_day[0][0], per_day[-1][0]
    span = (last - first).days
    if span <= 62:
        unit, key = "day", lambda d: d
    elif span <= 366:
        unit, key = "week", lambda d: d - timedelta(days=d.weekday())
    else:
        unit, key = "month", lambda d: d.replace(day=1)
    buckets: dict[date, int] = {}
    d = key(first)
    while d <= last:  # every bucket, the empty ones too
        buckets[d] = 0
        d = key(d + timedelta(days={"day": 1, "week": 7, "month": 32}[unit]))
    for day, n in per_day:
        buckets[key(day)] += n
    items = sorted(buckets.items())
    top = max(n for _, n in items) or 1
    height = 150.0

    def draw(c, x, y, w):
        c.setFillColorRGB(*INK)
        draw_string(c, x, y - 11, f"Signatures per {unit}", 11, BOLD)
        plot_top, plot_bottom = y - 24, y - height + 16
        plot_left = x + 36
        plot_w = w - 36
        ph = plot_top - plot_bottom
        c.setStrokeColorRGB(*MUTED)
        c.setLineWidth(0.6)
        c.line(plot_left, plot_bottom, plot_left + plot_w, plot_bottom)
        c.setFillColorRGB(*MUTED)
        draw_right(c, plot_left - 4, plot_top - 7, _fmt_int(top), 8)
        draw_right(c, plot_left - 4, plot_bottom, "0", 8)
        bar_w = plot_w / len(items)
        c.setFillColorRGB(*BRAND)
        for i, (_, n) in enumerate(items):
            h = ph * n / top
            if h > 0:
                c.rect(plot_left + i * bar_w + bar_w * 0.1, plot_bottom, bar_w * 0.8, h,
                       stroke=0, fill=1)  # fmt: skip
        c.setFillColorRGB(*MUTED)
        draw_string(c, plot_left, plot_bottom - 11, f"{items[0][0]:%b %-d, %Y}", 8)
        draw_right(c, plot_left + plot_w, plot_bottom - 11, f"{items[-1][0]:%b %-d, %Y}", 8)
        c.setFillColorRGB(*INK)

    return Block(height, draw)


# --- the document -------------------------------------------------------------------------


@dataclass
class _Part:
    section: int
    name: str  # "Cover letter", "Summary", "Stories", "Signatures"
    pages: list[list[Block]] | None  # flowing parts
    list_pages: int = 0


class _Layout:
    def __init__(self, doc: PacketDocument):
        self.doc = doc
        self.page_w, self.page_h = PAPER[doc.paper]
        self.width = self.page_w - 2 * MARGIN
        self.frame_top = self.page_h - MARGIN - HEADER_H
        self.frame_bottom = MARGIN + FOOTER_H
        # The list: column header, then fixed-height rows.
        self.list_top = self.frame_top - 34
        self.rows_per_page = int((self.list_top - self.frame_bottom) // ROW_H)
        w = self.width
        self.col_num_right = 40
        self.col_name = 50
        self.col_date = w - 64
        if doc.show_waitlist_numbers:
            self.col_wait_right = w - 76
            self.col_town = w * 0.52
            town_end = w - 140
        else:
            self.col_wait_right = None
            self.col_town = w * 0.56
            town_end = self.col_date - 10
        self.name_w = self.col_town - self.col_name - 10
        self.town_w = town_end - self.col_town
        self.parts: list[_Part] = []
        frame_h = self.frame_top - self.frame_bottom
        for i, s in enumerate(doc.sections):
            self.parts.append(
                _Part(i, "Cover letter", _paginate(_letter_blocks(doc, s, w), frame_h))
            )
            self.parts.append(_Part(i, "Summary", _paginate(_summary_blocks(doc, s, w), frame_h)))
            if s.stories:
                self.parts.append(_Part(i, "Stories", _paginate(_story_blocks(s, w), frame_h)))
            n = max(1, math.ceil(s.row_count / self.rows_per_page))
            self.parts.append(_Part(i, "Signatures", None, n))
        self.total_pages = sum(len(p.pages) if p.pages else p.list_pages for p in self.parts)


def render_packet(
    doc: PacketDocument, out, progress: Callable[[int], None] | None = None
) -> RenderResult:
    """Draw the packet into the binary file object `out`."""
    lay = _Layout(doc)
    c = fonts.new_canvas(out, PAPER[doc.paper], invariant=0)
    c.setTitle(doc.petition_title)
    c.setAuthor(doc.author)
    c.setSubject(doc.subject)
    c.setCreator("Petitions toolkit")
    c.setKeywords(doc.keywords)
    c.showOutline()
    combined = len(doc.sections) > 1
    state = {"page": 0, "rows": 0}

    def finish_page(section: Section, label: str) -> None:
        state["page"] += 1
        _page_furniture(c, lay, doc, section, label, state["page"])
        c.showPage()

    for part in lay.parts:
        s = doc.sections[part.section]
        level = 1 if combined else 0
        key = f"s{part.section}-{part.name}"
        if combined and part.name == "Cover letter":
            c.bookmarkPage(f"s{part.section}")
            c.addOutlineEntry(s.heading, f"s{part.section}", 0, closed=False)
        c.bookmarkPage(key)
        c.addOutlineEntry(part.name, key, level, closed=part.name == "Signatures")
        if part.pages is not None:
            for page in part.pages:
                y = lay.frame_top
                for block in page:
                    block.draw(c, MARGIN, y, lay.width)
                    y -= block.height
                finish_page(s, part.name)
        else:
            _draw_list(c, lay, doc, s, part, level + 1, state, finish_page, progress)
    c.save()
    return RenderResult(pages=state["page"], rows=state["rows"])


def _page_furniture(c, lay: _Layout, doc: PacketDocument, s: Section, label: str, page: int):
    """Running header (petition, section, part) and the "Page X of Y" footer."""
    top = lay.page_h - MARGIN
    c.setFillColorRGB(*MUTED)
    right = truncate(f"{label} · {s.heading}", lay.width * 0.55, 8)
    draw_right(c, MARGIN + lay.width, top - 8, right, 8)
    left_w = lay.width - fonts.string_width(right, 8) - 16
    draw_string(c, MARGIN, top - 8, truncate(doc.petition_title, left_w, 8, BOLD), 8, BOLD)
    c.setStrokeColorRGB(*RULE)
    c.setLineWidth(0.5)
    c.line(MARGIN, top - 14, MARGIN + lay.width, top - 14)
    c.line(MARGIN, MARGIN + 16, MARGIN + lay.width, MARGIN + 16)
    page_text = f"Page {page} of {lay.total_pages}"
    draw_right(c, MARGIN + lay.width, MARGIN + 4, page_text, 8)
    foot = f"{doc.petition_title} — {s.heading}"
    foot_w = lay.width - fonts.string_width(page_text, 8) - 16
    draw_string(c, MARGIN, MARGIN + 4, truncate(foot, foot_w, 8), 8)
    c.setFillColorRGB(*INK)


def _draw_list(c, lay: _Layout, doc, s: Section, part: _Part, level, state, finish_page, progress):
    tz = doc.timezone
    x0 = MARGIN
    num_r = x0 + lay.col_num_right
    name_x = x0 + lay.col_name
    town_x = x0 + lay.col_town
    date_x = x0 + lay.col_date
    wait_r = x0 + lay.col_wait_right if lay.col_wait_right else None
    digit_w = pdfmetrics.stringWidth("0", REGULAR, ROW_SIZE)
    # Names up to this many characters fit without measuring (widest glyph ≈ 1 em).
    safe_name = int(lay.name_w / ROW_SIZE)
    safe_town = int(lay.town_w / ROW_SIZE)
    date_cache: dict[date, str] = {}
    by_town = s.sort_order == "town"
    title = "Signatures, by town and family name" if by_town else "Signatures, by date signed"

    def column_header(first: bool) -> None:
        c.setFillColorRGB(*INK)
        head = title if first else f"{title} (continued)"
        draw_string(c, x0, lay.frame_top - 12, truncate(head, lay.width, 11, BOLD), 11, BOLD)
        c.setFillColorRGB(*MUTED)
        y = lay.list_top + 4
        draw_right(c, num_r, y, "No.", 8, BOLD)
        draw_string(c, name_x, y, "Name", 8, BOLD)
        draw_string(c, town_x, y, "Town", 8, BOLD)
        if wait_r:
            draw_right(c, wait_r, y, "Waitlist no.", 8, BOLD)
        draw_string(c, date_x, y, "Signed", 8, BOLD)
        c.setStrokeColorRGB(*MUTED)
        c.setLineWidth(0.6)
        c.line(x0, lay.list_top, x0 + lay.width, lay.list_top)
        c.setFillColorRGB(*INK)
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(0.4)

    n = 0
    on_page = 0
    page_no = 0
    cols: list = []
    current_town = None
    towns_seen = 0
    first_label = last_label = ""
    # Right-aligned numbers without measuring: pad with figure spaces (digit-wide).
    num_digits = len(str(s.row_count))
    num_x = num_r - num_digits * digit_w
    wait_digits = 7
    rows = iter(s.rows())
    if s.row_count == 0:
        column_header(True)
        draw_string(c, x0, lay.list_top - 20, "No signatures.", 10)
        finish_page(s, "Signatures")
        return

    def new_page_columns():
        # One text object per column and page; each row is one T* line in each: no
        # per-cell positioning or width measuring.
        xs = [num_x, name_x, town_x, date_x] + ([wait_r - wait_digits * digit_w] if wait_r else [])
        out = []
        for x in xs:
            t = c.beginText(x, lay.list_top - ROW_H + 3)
            t.setFont(REGULAR, ROW_SIZE, ROW_H)
            out.append(t)
        return out

    for given, family, town, counted_at, waitlist in rows:
        if on_page == 0:
            column_header(page_no == 0)
            cols = new_page_columns()
            y = lay.list_top - ROW_H + 3
        n += 1
        town = town_label(town)  # one spelling per town, as in the summary
        tkey = town_key(town)
        if by_town and tkey != current_town:
            current_town = tkey
            towns_seen += 1
            bm = f"{part.section}-t{towns_seen}"
            c.bookmarkHorizontal(bm, x0, y + ROW_H)
            c.addOutlineEntry(truncate(town or "(no town given)", 300, 9), bm, level)
            if on_page:
                c.setStrokeColorRGB(*MUTED)
                c.line(x0, y + ROW_H - 3, x0 + lay.width, y + ROW_H - 3)
                c.setStrokeColorRGB(*RULE)
        number = str(n)
        cols[0].textLine(FIGURE_SPACE * (num_digits - len(number)) + number)
        name = f"{family}, {given}" if family else given
        if len(name) > safe_name:
            name = truncate(name, lay.name_w, ROW_SIZE)
        _line(cols[1], name)
        if len(town) > safe_town:
            town = truncate(town, lay.town_w, ROW_SIZE)
        _line(cols[2], town)
        day = utc_to_local(counted_at, tz).date()
        label = date_cache.get(day)
        if label is None:
            label = date_cache[day] = f"{day:%Y-%m-%d}"
        cols[3].textLine(label)
        if wait_r:
            w = "" if waitlist is None else str(waitlist)[-wait_digits:]
            cols[4].textLine(FIGURE_SPACE * (wait_digits - len(w)) + w if w else "")
        page_label = town if by_town else label
        if on_page == 0:
            first_label = page_label
        last_label = page_label
        on_page += 1
        if on_page % 5 == 0:
            c.line(x0, y - 3.5, x0 + lay.width, y - 3.5)
        y -= ROW_H
        if on_page == lay.rows_per_page:
            for t in cols:
                c.drawText(t)
            page_no += 1
            finish_page(s, _range_label(first_label, last_label))
            on_page = 0
            if progress and n % 1000 < lay.rows_per_page:
                progress(state["rows"] + n)
    if on_page:
        for t in cols:
            c.drawText(t)
        page_no += 1
        finish_page(s, _range_label(first_label, last_label))
    # The page count was planned from row_count; a mismatch (rows changed between the
    # count and the read, which one transaction prevents) would make "Page X of Y" wrong.
    if n != s.row_count:
        raise RuntimeError(f"expected {s.row_count} rows, read {n}")
    state["rows"] += n
    if progress:
        progress(state["rows"])


def _range_label(first: str, last: str) -> str:
    first, last = first or "(no town)", last or "(no town)"
    return f"Signatures: {first}" if first == last else f"Signatures: {first} – {last}"
