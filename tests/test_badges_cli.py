# ruff: noqa: F811  (the fixture imported below is used as a test argument)
"""`flask --app wsgi badges SLUG|--event SLUG --stock STOCK -o FILE.pdf`"""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models.badge import BadgePrint
from tests.test_badges_views import waitlist_petition  # noqa: F401  (fixture)

STOCKS = ["avery-5392", "avery-74459", "avery-5395", "avery-l4785", "a6-4up-a4",
          "placard-letter", "placard-a4"]  # fmt: skip


def pages(path) -> PdfReader:
    return PdfReader(io.BytesIO(path.read_bytes()))


def test_help_lists_the_stocks(runner):
    result = runner.invoke(args=["badges", "--help"])
    assert result.exit_code == 0
    for key in STOCKS:
        assert key in result.output
    assert "Avery 5395" in result.output and "--event" in result.output


def test_unknown_stock_is_a_clear_error(runner, waitlist_petition, tmp_path):
    result = runner.invoke(
        args=["badges", "fund-seats", "--stock", "avery-1234", "-o", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code != 0
    assert "Unknown stock “avery-1234”" in result.output
    for key in STOCKS:
        assert key in result.output


@pytest.mark.parametrize("stock,per_page", [("avery-5392", 6), ("avery-l4785", 10)])
def test_writes_a_pdf_with_the_right_page_count(
    runner, waitlist_petition, make_signature, tmp_path, stock, per_page
):
    for n in range(1, 14):
        make_signature(waitlist_petition, f"P{n}", waitlist_number=n)
    out = tmp_path / "badges.pdf"
    result = runner.invoke(
        args=["badges", "fund-seats", "--stock", stock, "-o", str(out), "--blank", "3"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert len(pages(out).pages) == -(-16 // per_page)
    assert "13 badges and 3 blanks" in result.output


def test_filters_sort_and_mark_printed(runner, waitlist_petition, make_signature, tmp_path):
    for n, name in [(12, "Zoe"), (40, "Ana"), (41, "Miguel"), (46, "Wei")]:
        make_signature(waitlist_petition, name, waitlist_number=n)
    out = tmp_path / "b.pdf"
    args = ["badges", "fund-seats", "--stock", "avery-5395", "-o", str(out)]
    result = runner.invoke(args=args + ["--numbers", "12,40-45", "--sort", "name"])
    assert result.exit_code == 0, result.output
    text = pages(out).pages[0].extract_text()
    assert text.index("Ana") < text.index("Miguel") < text.index("Zoe") and "Wei" not in text
    result = runner.invoke(args=args + ["--numbers", "40", "--mark-printed"])
    assert result.exit_code == 0 and db.session.scalar(select(func.count(BadgePrint.id))) == 1
    result = runner.invoke(args=args + ["--only-unprinted"])
    assert "3 badges" in result.output
    assert "Ana" not in pages(out).pages[0].extract_text()


def test_event_attendees(runner, waitlist_petition, make_event, make_attendee, tmp_path):
    event = make_event(waitlist_petition, ask_waitlist=True)
    make_attendee(event, "Keisha Johnson", number=77)
    out = tmp_path / "e.pdf"
    result = runner.invoke(
        args=["badges", "--event", event.slug, "--stock", "placard-a4", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = pages(out).pages[0].extract_text()
    assert "#77" in text and "Keisha" in text


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--numbers", "12,x"], "is not a waitlist number"),
        (["--numbers", "30000"], "outside this waitlist"),
        (["--blank", "-1"], "--blank"),
    ],
)
def test_bad_input_is_a_clear_error(runner, waitlist_petition, tmp_path, extra, message):
    result = runner.invoke(
        args=["badges", "fund-seats", "--stock", "avery-5392", "-o", str(tmp_path / "x.pdf")]
        + extra
    )
    assert result.exit_code != 0 and message in result.output


def test_unknown_petition_or_event_and_nothing_to_print(runner, waitlist_petition, tmp_path):
    out = str(tmp_path / "x.pdf")
    result = runner.invoke(args=["badges", "nope", "--stock", "avery-5392", "-o", out])
    assert result.exit_code != 0 and "No petition" in result.output
    result = runner.invoke(args=["badges", "--event", "nope", "--stock", "avery-5392", "-o", out])
    assert result.exit_code != 0 and "No event" in result.output
    result = runner.invoke(args=["badges", "fund-seats", "--stock", "avery-5392", "-o", out])
    assert result.exit_code != 0 and "nothing to print" in result.output
    result = runner.invoke(args=["badges", "--stock", "avery-5392", "-o", out])
    assert result.exit_code != 0 and "one of them" in result.output


def test_qr_code_address_from_base_url_or_settings(app, runner, waitlist_petition, make_signature,
                                                   tmp_path):  # fmt: skip
    import pypdfium2
    import zxingcpp

    make_signature(waitlist_petition, "Ana", waitlist_number=12)
    out = tmp_path / "q.pdf"
    args = ["badges", "fund-seats", "--stock", "placard-letter", "-o", str(out)]

    def qr_codes():
        image = pypdfium2.PdfDocument(out.read_bytes())[0].render(scale=150 / 72).to_pil()
        return [c.text for c in zxingcpp.read_barcodes(image)]

    result = runner.invoke(args=args + ["--base-url", "https://rally.example.org/"])
    assert result.exit_code == 0, result.output
    assert qr_codes() == ["https://rally.example.org/p/fund-seats"]
    assert app.config["PUBLIC_BASE_URL"] is None  # only for that command
    app.config["PUBLIC_BASE_URL"] = "https://act.example.org/join"
    assert runner.invoke(args=args).exit_code == 0
    assert qr_codes() == ["https://act.example.org/join/p/fund-seats"]
    app.config["PUBLIC_BASE_URL"] = None
    app.config["SERVER_NAME"] = None
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "--base-url" in result.output
