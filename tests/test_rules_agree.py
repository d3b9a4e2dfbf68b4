"""Rules kept in one place give one answer, whichever way a signature comes in and
wherever it is counted: field limits, ZIP codes, towns and signatures per day."""

import csv
import io
import re
import subprocess
from collections import Counter
from datetime import UTC, timedelta

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.core.timezones import zone
from petitions.models import Attendee, Signature
from petitions.models.base import utcnow
from petitions.packets import officials as officials_service
from tests.conftest import csrf_from
from tests.events_helpers import person
from tests.packets_helpers import add_official, outline_titles, pdf_text_pages

STORY = "My daughter has waited three years for a seat. " * 64  # 3,008 characters
LONG_NAME = "N" * 101


@pytest.fixture(autouse=True)
def _exact_counts(app):
    app.config["COUNT_CACHE_SECONDS"] = 0


def stored(petition) -> list[Signature]:
    db.session.rollback()  # a fresh look, as the next request has
    return list(
        db.session.scalars(
            select(Signature).where(Signature.petition_id == petition.id).order_by(Signature.id)
        )
    )


def sign_online(client, petition, **fields):
    client.get(f"/p/{petition.slug}")
    data = dict(given_name="Ana", family_name="Díaz", email="ana@example.org",
                postal_code="06106", town="Hartford")  # fmt: skip
    return client.post(f"/p/{petition.slug}/sign", data={**data, **fields})


def enter_paper(client, petition, **fields):
    url = f"/manage/p/{petition.slug}/paper"
    data = dict(sheet_number="3", given_name="Luis", family_name="Santiago", email="",
                postal_code="06106", town="Hartford", role="parent")  # fmt: skip
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, **fields, "csrf_token": token})


def upload_csv(client, petition, content: str):
    url = f"/manage/p/{petition.slug}/import"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(content.encode()), "people.csv")},
        content_type="multipart/form-data",
    )


def confirm_import(client, petition, html: str):
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    expected = re.search(r'name="expected" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(
        f"/manage/p/{petition.slug}/import/confirm",
        data={"csrf_token": csrf_from(html), "token": token, "expected": expected},
    )


def rally_sign_in(client, event, **fields):
    url = f"/e/{event.slug}/here/{event.signin_key}"
    client.get(url)
    return client.post(url, data={**person(**fields), "sign": "y"})


def live_rally(make_event, petition):
    return make_event(petition, starts_at=utcnow() + timedelta(minutes=10),
                      ends_at=utcnow() + timedelta(hours=2))  # fmt: skip


def packet(runner, tmp_path, petition, *args):
    out = tmp_path / f"packet-{len(list(tmp_path.iterdir()))}.pdf"
    result = runner.invoke(args=["packet", petition.slug, *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def summary_lines(path) -> list[str]:
    """The packet's summary page as laid out, one line per row (spaces collapsed)."""
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True).stdout.decode()  # fmt: skip
    page = next(p for p in out.split("\f") if "Signatures per day" in p)
    return [" ".join(line.split()) for line in page.splitlines() if line.strip()]


# --- field limits ------------------------------------------------------------------------


def test_a_3000_character_story_is_refused_online_and_by_the_csv_import(
    client, organizer, make_petition
):
    petition = make_petition()

    r = sign_online(client, petition, comment=STORY)
    assert r.status_code == 400
    assert "Please keep this under 2000 characters." in r.get_data(as_text=True)
    assert stored(petition) == []

    csv_text = (
        "first_name,last_name,email,zip_code,comment\n"
        f'Ana,Díaz,ana@example.org,06106,"{STORY}"\n'
        "Wei,Chen,wei@example.org,06107,Short and kept.\n"
    )
    dry_run = upload_csv(client, petition, csv_text)
    html = dry_run.get_data(as_text=True)
    assert dry_run.status_code == 200
    assert re.search(r'id="count-invalid">1<', html) and re.search(r'id="count-accepted">1<', html)
    assert "Comment is longer than 2000 characters." in html
    assert stored(petition) == []  # a dry run writes nothing

    assert confirm_import(client, petition, html).status_code == 302
    assert [(s.given_name, s.comment) for s in stored(petition)] == [("Wei", "Short and kept.")]

    # The same story within the limit is taken by both.
    fits = STORY[:2000]
    assert sign_online(client, petition, comment=fits).status_code == 302
    assert [s.comment for s in stored(petition) if s.given_name == "Ana"] == [fits.strip()]


def test_paper_entry_and_the_rally_sign_in_refuse_what_the_sign_form_refuses(
    client, organizer, make_petition, make_event
):
    """Paper sheets and the rally's sign-in ask for no story: they refuse the fields they
    do ask for at the same limits, and store nothing, never a shortened value."""
    petition = make_petition()
    event = live_rally(make_event, petition)

    r = sign_online(client, petition, given_name=LONG_NAME)
    assert r.status_code == 400 and "Please keep this under 100 characters." in r.get_data(
        as_text=True
    )
    r = enter_paper(client, petition, given_name=LONG_NAME)
    assert r.status_code == 400 and "Given name is longer than 100 characters." in r.get_data(
        as_text=True
    )
    r = rally_sign_in(client, event, given_name=LONG_NAME)
    assert r.status_code == 400 and "Please keep this under 100 characters." in r.get_data(
        as_text=True
    )
    # Both names at their limit: together longer than a whole name may be, refused by all.
    both = dict(given_name="G" * 100, family_name="F" * 100)
    r = sign_online(client, petition, **both)
    assert r.status_code == 400 and "Please keep this under 99 characters." in r.get_data(
        as_text=True
    )
    r = enter_paper(client, petition, **both)
    assert r.status_code == 400
    assert "longer than 200 characters together" in r.get_data(as_text=True)
    r = rally_sign_in(client, event, **both)
    assert r.status_code == 400 and "Please keep this under 99 characters." in r.get_data(
        as_text=True
    )
    assert stored(petition) == []
    assert db.session.scalar(select(func.count(Attendee.id))) == 0

    # The longest name every way takes, stored whole.
    fits = dict(given_name="G" * 100, family_name="F" * 99)
    assert sign_online(client, petition, **fits).status_code == 302
    assert enter_paper(client, petition, **fits, postal_code="06107").status_code == 302
    assert rally_sign_in(client, event, **fits, email="g@example.org").status_code == 302
    assert {len(s.given_name + s.family_name) for s in stored(petition)} == {199}
    assert [s.source for s in stored(petition)] == ["online", "paper", "rally"]
    assert db.session.scalar(select(Attendee.name)) == fits["given_name"] + " " + "F" * 99


def test_form_maxlengths_come_from_the_limits(client, organizer, make_petition, make_event):
    petition = make_petition(ask_waitlist=True)
    event = make_event(petition, ask_waitlist=True)
    pages = {
        "sign": client.get(f"/p/{petition.slug}").get_data(as_text=True),
        "rally": client.get(f"/e/{event.slug}").get_data(as_text=True),
        "paper": client.get(f"/manage/p/{petition.slug}/paper").get_data(as_text=True),
    }

    def maxlength(html, name):
        tag = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', html).group(0)
        return int(re.search(r'maxlength="(\d+)"', tag).group(1))

    assert maxlength(pages["sign"], "comment") == 2000
    for name, limit in (("given_name", 100), ("family_name", 100), ("email", 254),
                        ("postal_code", 10), ("waitlist_number", 9)):  # fmt: skip
        assert {maxlength(html, name) for html in pages.values()} == {limit}, name
    assert maxlength(pages["sign"], "town") == maxlength(pages["paper"], "town") == 100
    assert maxlength(pages["rally"], "phone") == 25
    assert maxlength(pages["paper"], "sheet_number") == 20


# --- ZIP codes ---------------------------------------------------------------------------


def test_a_zip_plus_4_online_and_the_same_zip_on_paper_count_for_the_same_official(
    client, runner, tmp_path, organizer, make_petition, make_signature
):
    petition = make_petition()
    official = add_official("Ana Rivera", zips=["06106"], title="State Representative")
    add_official("Wei Chen", zips=["06107"])
    officials_service.set_targets(petition.id, [official.id])
    db.session.commit()

    assert (
        sign_online(client, petition, postal_code="06106-1234", town="Springfield").status_code
        == 302
    )
    assert enter_paper(client, petition, postal_code="06106", town="Elsewhere").status_code == 302
    # A signature stored with its ZIP+4, as online signing kept them before.
    make_signature(petition, "Old", "Form", postal_code="06106-9999", town="Nowhere")
    assert sorted(s.postal_code for s in stored(petition)) == ["06106", "06106", "06106-9999"]

    dashboard = client.get(f"/manage/p/{petition.slug}").get_data(as_text=True)
    row = re.search(r"<tr><td>State Representative Ana Rivera</td>.*?</tr>", dashboard).group(0)
    assert '<td class="num">3</td>' in row
    assert officials_service.counts_by_official(petition.id) == {official.id: 3}

    text = "\n".join(pdf_text_pages(packet(runner, tmp_path, petition, "--official",
                                           str(official.id))))  # fmt: skip
    assert "3 of your constituents" in text
    for name in ("Díaz, Ana", "Santiago, Luis", "Form, Old"):
        assert name in text


# --- signatures per day ------------------------------------------------------------------

BRAND_FILL = (0.04, 0.36, 0.68)  # the packet chart's bars (petitions/packets/pdf.py)


def packet_chart_bars(path) -> list[tuple[float, float]]:
    """(x, height) of each bar of the packet's "Signatures per day" chart, left to right."""
    reader = PdfReader(str(path))
    page = next(p for p in reader.pages if "Signatures per day" in p.extract_text())
    fill, bars = None, []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"rg":
            fill = tuple(round(float(v), 2) for v in operands)
        elif operator == b"re" and fill == BRAND_FILL:
            x, _y, _w, h = (float(v) for v in operands)
            bars.append((x, h))
    return sorted(bars)


def test_the_dashboard_and_the_packet_count_a_day_alike(
    client, runner, tmp_path, organizer, make_petition, make_signature
):
    """Signatures confirmed days after they were made count on their confirmation day,
    on the dashboard's chart and in the packet's chart, list and dates."""
    tz = zone()
    petition = make_petition(require_confirmation=True)
    now = utcnow()
    four_days_ago = (now - timedelta(days=4)).replace(hour=15, minute=0)
    two_days_ago = (now - timedelta(days=2)).replace(hour=15, minute=0)
    # Counted at once (paper, or before confirmation was asked).
    make_signature(petition, "Paper", "Once", created_at=four_days_ago)
    # Confirmed two days after signing.
    for i in range(3):
        make_signature(petition, f"Late{i}", "Two", created_at=four_days_ago,
                       confirmed_at=two_days_ago)  # fmt: skip
    # Confirmed today, through the link in their mail.
    for i in range(2):
        pending = make_signature(petition, f"Today{i}", "Link", created_at=four_days_ago,
                                 confirmed=False)  # fmt: skip
        assert client.post(f"/s/{pending.token}/confirm").status_code == 302

    def local_day(t):
        return t.replace(tzinfo=UTC).astimezone(tz).date()

    expected = {local_day(four_days_ago): 1, local_day(two_days_ago): 3, local_day(now): 2}

    html = client.get(f"/manage/p/{petition.slug}").get_data(as_text=True)
    chart = html.split('<div class="chart">', 1)[1].split("</svg>", 1)[0]
    on_dashboard = {label: int(n) for label, n in re.findall(r"<title>([^<:]+): (\d+)</title>",
                                                              chart) if n != "0"}  # fmt: skip
    assert on_dashboard == {f"{day:%b %-d}": n for day, n in expected.items()}

    out = packet(runner, tmp_path, petition, "--sort", "date")
    # The chart: a bar on each day with signatures, as high as that day's count.
    bars = packet_chart_bars(out)
    days = sorted(expected)
    assert len(bars) == len(days)
    span = (days[-1] - days[0]).days
    bar_step = (bars[-1][0] - bars[0][0]) / span
    top = max(h for _, h in bars)
    in_packet = {
        days[0] + timedelta(days=round((x - bars[0][0]) / bar_step)): round(h / top * 3)
        for x, h in bars
    }
    assert in_packet == expected
    # The list's dates, and the span of the summary.
    text = "\n".join(pdf_text_pages(out))
    text = re.sub(r"Signatures: \S+ – \S+", "", text)  # the list pages' running header
    listed = Counter(re.findall(r"\b(\d{4}-\d{2}-\d{2})\b", text))
    assert listed == {f"{day:%Y-%m-%d}": n for day, n in expected.items()}
    first, last = days[0], days[-1]
    assert f"Signed between {first:%B %-d, %Y} and {last:%B %-d, %Y}" in summary_lines(out)


# --- towns -------------------------------------------------------------------------------


def test_hartford_in_any_case_is_one_town_on_the_json_the_dashboard_and_the_packet(
    client, runner, tmp_path, organizer, make_petition, make_signature
):
    petition = make_petition()
    assert sign_online(client, petition, town="HARTFORD").status_code == 302
    assert enter_paper(client, petition, town="hartford ").status_code == 302
    r = upload_csv(
        client, petition, "first_name,last_name,email,zip,town\nWei,Chen,,06106,Hartford\n"
    )
    assert confirm_import(client, petition, r.get_data(as_text=True)).status_code == 302
    # Rows stored as typed, before towns were tidied.
    for i, town in enumerate(("HARTFORD", "hartford ", "Hartford")):
        make_signature(petition, f"Old{i}", "Row", town=town)
    make_signature(petition, "West", "Side", town="west hartford")
    assert {s.town for s in stored(petition)} == {
        "Hartford",
        "HARTFORD",
        "hartford ",
        "west hartford",
    }

    json = client.get(f"/p/{petition.slug}.json").get_json()
    assert json["counts_by_town"] == [
        {"town": "Hartford", "count": 6},
        {"town": "West Hartford", "count": 1},
    ]

    html = client.get(f"/manage/p/{petition.slug}").get_data(as_text=True)
    by_town = html.split('id="towns-h"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">(\d+)</td></tr>", by_town) == [
        ("Hartford", "6"),
        ("West Hartford", "1"),
    ]

    out = packet(runner, tmp_path, petition)
    summary = summary_lines(out)
    by_town = summary[summary.index("By town") + 2 :]
    assert by_town[:2] == ["Hartford 6 85.7%", "West Hartford 1 14.3%"]
    text = "\n".join(pdf_text_pages(out))
    assert "HARTFORD" not in text and "hartford" not in text
    assert [t for t in outline_titles(out) if "artford" in t] == ["Hartford", "West Hartford"]


# --- places held -------------------------------------------------------------------------


def test_places_held_agree_on_capacity_the_dashboard_the_json_and_the_csv(
    client, organizer, make_event, make_attendee
):
    """Attendee.places is the one definition: a household RSVP holds its party, a walk-up
    and a revoked ticket hold none, wherever places are counted."""
    event = make_event(capacity=10)
    make_attendee(event, party_size=3)
    make_attendee(event, party_size=2)
    make_attendee(event, party_size=4, revoked=True)
    make_attendee(event, walk_up=True)
    make_attendee(event)
    db.session.rollback()
    event = db.session.get(type(event), event.id)
    assert event.rsvp_count == 6 and event.places_left() == 4

    assert client.get(f"/manage/e/{event.slug}/stats.json").get_json()["people"] == 6
    html = client.get(f"/manage/e/{event.slug}").get_data(as_text=True)
    assert '<span class="count" data-stat="people">6</span> people coming' in html

    text = client.get(f"/manage/e/{event.slug}/attendees.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert sum(int(r["places"]) for r in rows) == 6

    # The public form refuses a party of 5 into the 4 places left, and takes 4.
    r = rsvp_party(client, event, "5")
    assert r.status_code == 400 and "Only 4 places are left." in r.get_data(as_text=True)
    assert rsvp_party(client, event, "4").status_code == 302
    db.session.rollback()
    assert db.session.get(type(event), event.id).rsvp_state() == "full"


def rsvp_party(client, event, size: str):
    event.max_party_size = 5
    db.session.commit()
    client.get(f"/e/{event.slug}")
    return client.post(
        f"/e/{event.slug}",
        data={**person(email=f"p{size}@example.org"), "party_size": size},
    )
