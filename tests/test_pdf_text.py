"""petitions/pdf/text.py: one word wrap and one "…" for every PDF."""

import io

import pypdfium2
import pytest

from petitions.core.pdf.fonts import BOLD, REGULAR, string_width
from petitions.core.pdf.text import ELLIPSIS, fit, truncate, wrap
from petitions.rallies.poster import PosterData, render_poster

WIDTH = 120
SIZE = 10
SENTENCE = "Families across Greater Hartford wait years for a seat in a magnet school."
TEXTS = {
    "latin": SENTENCE,
    "long word": "See https://act.example.org/p/" + "x" * 120 + " today",
    "cjk": "我们的孩子需要更多的磁石学校名额" * 4,
    "arabic": "نطالب بمقاعد كافية لكل طفل في قائمة الانتظار " * 3,
}


def fits(line: str, font: str = REGULAR, size: float = SIZE, width: float = WIDTH) -> bool:
    return string_width(line, size, font) <= width


@pytest.mark.parametrize("kind", TEXTS)
def test_every_line_fits_and_nothing_is_lost(kind):
    text = TEXTS[kind]
    lines = wrap(text, WIDTH, SIZE)
    assert len(lines) > 1
    assert all(fits(line) for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_word_wider_than_the_line_is_broken_at_the_width():
    word = "W" * 60
    lines = wrap(word, WIDTH, SIZE, BOLD)
    assert "".join(lines) == word
    assert all(fits(line, BOLD) for line in lines)
    # Broken at the width: each piece but the last is as long as fits.
    assert all(not fits(line + "W", BOLD) for line in lines[:-1])


def test_words_break_only_where_they_must():
    lines = wrap(SENTENCE, WIDTH, SIZE)
    assert " ".join(lines) == SENTENCE  # every break between two words


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_text_is_no_lines(text):
    assert wrap(text, WIDTH, SIZE) == []
    assert wrap(text, WIDTH, SIZE, max_lines=2) == []
    assert truncate(text, WIDTH, SIZE) == text


def test_line_breaks_start_new_lines_and_blank_ones_are_dropped():
    assert wrap("First.\n\nSecond.", WIDTH, SIZE) == ["First.", "Second."]


@pytest.mark.parametrize("kind", TEXTS)
def test_max_lines_ends_with_a_visible_ellipsis(kind):
    lines = wrap(TEXTS[kind] * 3, WIDTH, SIZE, max_lines=2)
    assert len(lines) == 2
    assert lines[-1].endswith(ELLIPSIS) and fits(lines[-1])


def test_max_lines_not_reached_adds_nothing():
    assert wrap(SENTENCE, 1000, SIZE, max_lines=1) == [SENTENCE]
    assert wrap(SENTENCE, 1000, SIZE, max_lines=1, more="continued") == [SENTENCE]


def test_a_note_for_what_was_left_out_counts_in_max_lines():
    more = "… continued online: https://act.example.org/p/fund-seats"
    lines = wrap(SENTENCE * 5, WIDTH, SIZE, max_lines=6, more=more)
    tail = wrap(more, WIDTH, SIZE)
    assert len(lines) == 6 and lines[-len(tail) :] == tail
    assert lines[-len(tail) - 1].endswith(ELLIPSIS)


@pytest.mark.parametrize("kind", TEXTS)
def test_truncate_keeps_the_longest_prefix_that_fits_with_an_ellipsis(kind):
    text = TEXTS[kind]
    cut = truncate(text, WIDTH, SIZE)
    assert cut.endswith(ELLIPSIS) and fits(cut)
    kept = cut.removesuffix(ELLIPSIS)
    assert text.startswith(kept)
    rest = text[len(kept) :]
    one_more = kept + rest[: len(rest) - len(rest.lstrip()) + 1]
    assert not fits(one_more + ELLIPSIS)  # one character more would not fit


def test_truncate_leaves_text_that_fits_alone():
    assert truncate("Ana", WIDTH, SIZE) == "Ana"
    assert truncate("W" * 10, 1, SIZE) == ELLIPSIS  # nothing fits: the ellipsis still shows


def test_fit_shrinks_before_it_cuts():
    assert fit("Ana", WIDTH, SIZE, 6) == ("Ana", SIZE)
    text, size = fit(SENTENCE, WIDTH * 3, SIZE, 6)
    assert text == SENTENCE and size < SIZE and fits(text, size=size, width=WIDTH * 3)
    text, size = fit(SENTENCE, WIDTH, SIZE, 6)
    assert size == 6 and text.endswith(ELLIPSIS) and fits(text, size=6)


def test_poster_breaks_a_name_without_spaces_and_keeps_it_on_the_page():
    out = io.BytesIO()
    name = "学校" * 80  # far more than two lines at the smallest size
    render_poster(PosterData(name, "https://act.example.org/e/x", "act.example.org/e/x"), out)
    page = pypdfium2.PdfDocument(out.getvalue())[0]
    width, height = page.get_size()
    text = page.get_textpage()
    boxes = [text.get_charbox(i) for i in range(text.count_chars())]
    assert all(0 <= left and right <= width for left, _, right, _ in boxes)
    drawn = text.get_text_range()
    assert "学校学校" in drawn and ELLIPSIS in drawn
