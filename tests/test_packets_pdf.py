"""Packet PDFs through the CLI: who is in them, page numbers, outline, metadata, bad input."""

import re
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models.packet import PacketRecord
from petitions.packets import officials as officials_service
from tests.packets_helpers import EMAIL_RE, add_official, add_signer, outline_titles, pdf_text_pages


@pytest.fixture
def seeded(make_petition):
    """Two officials (by town / by ZIP), constituents of each, of both, and of neither."""
    petition = make_petition(title="Fund magnet school seats", sponsors="Parents United\nTeachers")
    rivera = add_official("Ana Rivera", towns=["Hartford"], title="State Representative",
                          body="Connecticut House of Representatives", district="District 7",
                          email="ana.rivera@cga.ct.gov", phone="860-555-0100")  # fmt: skip
    chen = add_official("Wei Chen", zips=["06002", "06095"], title="State Senator")
    nobody = add_official("Empty District", towns=["Nowhere"])
    signers = {"rivera": [], "chen": [], "both": [], "none": []}
    for i in range(30):
        add_signer(petition, f"Hart{i}", f"Riverafam{i}", "06106", "hartford ", days_ago=i % 9)
        signers["rivera"].append(f"Riverafam{i}, Hart{i}")
    for i in range(20):
        add_signer(petition, f"Bloom{i}", f"Chenfam{i}", "06002-1234", "Bloomfield", days_ago=i)
        signers["chen"].append(f"Chenfam{i}, Bloom{i}")
    # Lives in Hartford (town) with a Bloomfield ZIP: a constituent of both.
    add_signer(petition, "Dual", "Bothfam", "06095", "Hartford")
    signers["both"].append("Bothfam, Dual")
    for i in range(10):
        add_signer(petition, f"Far{i}", f"Outsidefam{i}", "06040", "Manchester")
        signers["none"].append(f"Outsidefam{i}, Far{i}")
    # Never in any packet: unconfirmed and hidden signatures.
    add_signer(petition, "Pending", "Unconfirmedfam", "06106", "Hartford", confirmed=False)
    add_signer(petition, "Spam", "Hiddenfam", "06106", "Hartford", hidden=True)
    db.session.commit()
    officials_service.set_targets(petition.id, [rivera.id, chen.id, nobody.id])
    db.session.commit()
    return petition, rivera, chen, nobody, signers


def _packet(runner, tmp_path, *args):
    out = tmp_path / "packet.pdf"
    result = runner.invoke(args=["packet", *args, "-o", str(out)])
    return result, out


def _all_text(path) -> str:
    return "\n".join(pdf_text_pages(path))


def test_constituents_packet_lists_each_constituent_once_and_no_one_else(runner, tmp_path, seeded):
    petition, rivera, _chen, _nobody, signers = seeded
    result, out = _packet(runner, tmp_path, petition.slug, "--official", str(rivera.id))
    assert result.exit_code == 0, result.output
    text = _all_text(out)
    for name in signers["rivera"] + signers["both"]:
        assert text.count(name) == 1, name
    for name in signers["chen"] + signers["none"]:
        assert name not in text
    assert "Unconfirmedfam" not in text and "Hiddenfam" not in text
    assert "31 signatures" in result.output
    # The cover letter is addressed to the official, with the petition and sponsors.
    assert "Dear State Representative Ana Rivera" in text
    assert "Parents United and Teachers" in text and "Fund magnet school seats" in text


def test_everyone_packet_and_combined_packet(runner, tmp_path, seeded):
    petition, rivera, chen, nobody, signers = seeded
    result, out = _packet(
        runner, tmp_path, petition.slug, "--official", str(rivera.id), "--everyone"
    )
    assert result.exit_code == 0, result.output
    text = _all_text(out)
    for name in signers["rivera"] + signers["chen"] + signers["both"] + signers["none"]:
        assert text.count(name) == 1, name

    # Combined: a section per target official; the official without signers is left out.
    result, out = _packet(runner, tmp_path, petition.slug)
    assert result.exit_code == 0, result.output
    assert "Left out" in result.output and "Empty District" in result.output
    text = _all_text(out)
    for name in signers["rivera"] + signers["chen"]:
        assert text.count(name) == 1, name
    assert text.count("Bothfam, Dual") == 2  # in both officials' sections
    for name in signers["none"]:
        assert name not in text
    titles = outline_titles(out)
    assert rivera.label in titles and chen.label in titles


def test_no_email_or_phone_anywhere_in_a_packet(runner, tmp_path, seeded):
    petition, rivera, *_ = seeded
    result, out = _packet(
        runner, tmp_path, petition.slug, "--official", str(rivera.id), "--everyone"
    )
    assert result.exit_code == 0
    text = _all_text(out)
    assert "Riverafam0" in text
    assert EMAIL_RE.findall(text) == []
    assert "860-555-0100" not in text


@pytest.mark.parametrize("paper,size", [("letter", (612, 792)), ("a4", (595, 842))])
def test_page_x_of_y_on_every_page_outline_and_metadata(
    runner, tmp_path, make_petition, paper, size
):
    petition = make_petition(title="Seats for every child")
    official = add_official("Grace Ortiz", towns=["Hartford", "West Hartford"], title="Senator")
    for i in range(130):  # several list pages
        town = "Hartford" if i % 2 else "West Hartford"
        add_signer(petition, f"G{i}", f"Fam{i:03d}", "06100", town)
    db.session.commit()
    result, out = _packet(runner, tmp_path, petition.slug, "--official", str(official.id),
                          "--paper", paper)  # fmt: skip
    assert result.exit_code == 0, result.output
    pages = pdf_text_pages(out)
    reader = PdfReader(str(out))
    assert len(pages) == len(reader.pages) >= 4
    for i, page in enumerate(pages, 1):
        assert re.findall(r"Page (\d+) of (\d+)", page) == [(str(i), str(len(pages)))]
        assert "Grace Ortiz" in page  # running header / footer name the official
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    titles = outline_titles(out)
    for entry in ("Cover letter", "Summary", "Signatures", "Hartford", "West Hartford"):
        assert entry in titles
    meta = reader.metadata
    assert meta.title == "Seats for every child"
    assert "Senator Grace Ortiz" in meta.subject
    assert meta.author
    record = db.session.scalar(select(PacketRecord))
    assert record.page_count == len(pages) and record.signature_count == 130
    assert record.source == "cli" and record.paper == paper
    import hashlib

    assert record.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()


def test_sort_by_town_then_family_name_or_by_date(runner, tmp_path, make_petition):
    petition = make_petition()
    add_signer(petition, "Zed", "Adams", "06107", "West Hartford", days_ago=5)
    add_signer(petition, "Amy", "Young", "06106", "Hartford", days_ago=1)
    add_signer(petition, "Bo", "Baker", "06106", "hartford", days_ago=3)
    db.session.commit()
    result, out = _packet(runner, tmp_path, petition.slug)
    assert result.exit_code == 0, result.output
    text = _all_text(out)
    order = [text.index(n) for n in ("Baker, Bo", "Young, Amy", "Adams, Zed")]
    assert order == sorted(order)
    result, out = _packet(runner, tmp_path, petition.slug, "--sort", "date")
    text = _all_text(out)
    order = [text.index(n) for n in ("Adams, Zed", "Baker, Bo", "Young, Amy")]
    assert order == sorted(order)


def test_every_script_prints_and_long_text_is_cut_visibly(runner, tmp_path, make_petition):
    petition = make_petition()
    add_signer(petition, "美玲", "王", "06106", "Hartford")
    add_signer(petition, "さくら", "佐藤", "06106", "Hartford")
    add_signer(petition, "Fatima", "خان", "06106", "Hartford")
    add_signer(petition, "José", "Colón-Pérez", "06106", "Hartford")
    long_family = "Extraordinarilylongfamilyname" * 3  # 87 of the 100 allowed
    add_signer(petition, "Max", long_family, "06106", "Hartford")
    long_story = "We waited so long for a seat. " * 200
    add_signer(petition, "Story", "Teller", "06106", "Hartford", comment=long_story, show_name=True)
    add_signer(
        petition, "Cjk", "Story", "06106", "Hartford", comment="我们的孩子" * 60, show_name=True
    )
    db.session.commit()
    result, out = _packet(runner, tmp_path, petition.slug)
    assert result.exit_code == 0, result.output
    text = _all_text(out)
    for name in ("王, 美玲", "佐藤, さくら", "Colón-Pérez, José", "Fatima"):
        assert name in text, name
    # Arabic is shaped and laid out by the Unicode bidi algorithm; extraction gives the
    # letters back in reading order, on the signer's line.
    plain = re.sub("[\u202a-\u202e\u2066-\u2069]", "", unicodedata.normalize("NFKC", text))
    line = next(line for line in plain.splitlines() if "Fatima" in line)
    assert "خان" in line
    # The over-long name is truncated with a visible ellipsis, not drawn over the town column.
    assert long_family not in text.replace("\n", "")
    assert re.search(r"Extraordinarilylong\w*…", text)
    # The long story is shortened, and says so; the CJK story wraps onto several lines.
    assert "[shortened for this packet]" in text
    assert "— Story Teller" in text
    cjk_lines = [line for line in text.splitlines() if "我们的孩子" in line]
    assert len(cjk_lines) >= 2


def test_no_matching_signers_is_a_clear_error_not_a_blank_pdf(
    runner, tmp_path, seeded, make_petition
):
    petition, _rivera, _chen, nobody, _ = seeded
    result, out = _packet(runner, tmp_path, petition.slug, "--official", str(nobody.id))
    assert result.exit_code != 0
    assert "No counted signatures match" in result.output and "Nowhere" in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no half-written temp file either

    empty = make_petition()
    result, _ = _packet(runner, tmp_path, empty.slug)
    assert result.exit_code != 0 and "no counted signatures" in result.output
    result, _ = _packet(runner, tmp_path, "no-such-petition")
    assert result.exit_code != 0 and "No petition" in result.output
    result, _ = _packet(runner, tmp_path, petition.slug, "--official", "99999")
    assert result.exit_code != 0 and "no official with id 99999" in result.output
    result, _ = _packet(runner, tmp_path, petition.slug, "--paper", "legal")
    assert result.exit_code == 2
    assert db.session.scalar(select(PacketRecord)) is None


def test_summary_counts_roles_waitlist_and_rally_attendance(runner, tmp_path, make_petition):
    from datetime import datetime

    from petitions.models import Attendee, Event

    petition = make_petition()
    for i in range(6):
        add_signer(petition, f"P{i}", f"Parentfam{i}", role="parent",
                   waitlist_number=100 + i if i < 4 else None)  # fmt: skip
    add_signer(petition, "T", "Teacherfam", role="educator", waitlist_number=777)
    event = Event(slug="rally-x", name="Capitol Rally", starts_at=datetime(2026, 3, 1, 16),
                  petition_id=petition.id, signin_key="k" * 20)  # fmt: skip
    db.session.add(event)
    db.session.flush()
    for i in range(3):
        db.session.add(Attendee(event_id=event.id, token_hash=f"{i}" * 64, name=f"A{i}",
                                email=f"a{i}@example.org", email_key=f"a{i}@example.org",
                                checked_in_at=datetime(2026, 3, 1, 16) if i else None))  # fmt: skip
    db.session.commit()
    result, out = _packet(runner, tmp_path, petition.slug)
    assert result.exit_code == 0, result.output
    text = _all_text(out)
    assert re.search(r"Parent or guardian\s+6", text) and re.search(r"Educator\s+1", text)
    assert re.search(r"waitlist number\s+5 \(71%\)", text)
    assert "777" not in text  # the numbers themselves only when the organizer chooses
    assert "Capitol Rally" in text and "Signatures per day" in text

    from petitions.packets.settings import save_settings

    save_settings(petition, show_waitlist_numbers=True)
    db.session.commit()
    result, out = _packet(runner, tmp_path, petition.slug)
    assert "777" in _all_text(out)
