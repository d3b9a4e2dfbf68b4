"""Organizer dashboard: counts, chart, towns/roles, search, moderation, CSV export."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import ExportLog, Signature
from petitions.models.base import utcnow
from petitions.petition.dashboard import overview

HARTFORD = ZoneInfo("America/New_York")


def number(html, element_id):
    m = re.search(rf'id="{element_id}">([\d,]+)<', html)
    assert m, f"no #{element_id}"
    return int(m.group(1).replace(",", ""))


def rows_of(html):
    """The signature table's body rows."""
    table = html.split('<table class="signatures">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr(?: class=\"[^\"]*\")?>\s*<td>", table)


def test_dashboard_counts_and_breakdowns(client, organizer, make_petition, make_signature):
    p = make_petition(goal=8)
    other = make_petition()
    for given, town in [("Ana", "Hartford"), ("Luis", "Hartford"), ("Wei", "hartford"),
                        ("Priya", "West Hartford"), ("Omar", "Bloomfield")]:  # fmt: skip
        make_signature(p, given, "Doe", town=town, role="parent")
    make_signature(p, "Keisha", "Brown", role="educator", town="Windsor")
    make_signature(p, "Pending", "One", confirmed=False)
    make_signature(p, "Pending", "Two", confirmed=False)
    make_signature(p, "Spam", "Bot", hidden=True)
    make_signature(p, "Odd", "Burst", role="student", flagged="many from one address")
    make_signature(other, "Not", "Mine", town="Enfield")

    html = client.get(f"/manage/p/{p.slug}").get_data(as_text=True)
    assert number(html, "counted") == 7
    assert number(html, "pending") == 2
    assert number(html, "hidden") == 1
    assert number(html, "flagged") == 1
    assert number(html, "total") == 10
    assert "(87%)" in html  # 7 of 8
    assert 'max="8" value="7"' in html
    towns = html.split('id="towns-h"', 1)[1].split("</table>", 1)[0]
    # Hartford and hartford are one town (4 with the flagged one); other petitions' are not here.
    assert re.search(r"<td>(Hartford|hartford)</td><td class=\"num\">4</td>", towns)
    assert "<td>West Hartford</td>" in towns and "Enfield" not in towns
    roles = html.split('id="roles-h"', 1)[1].split("</table>", 1)[0]
    assert '<td>Parent or guardian</td><td class="num">5</td>' in roles
    assert '<td>Educator</td><td class="num">1</td>' in roles
    assert '<td>Student</td><td class="num">1</td>' in roles
    # The index shows the same exact count.
    index = client.get("/manage/").get_data(as_text=True)
    assert '7 <span class="muted">of 8</span>' in index


def test_every_signature_is_counted_pending_or_hidden(make_petition, make_signature):
    """One rule on the model, the same in Python and in SQL; the dashboard counts by it."""
    p = make_petition()
    sigs = {
        "counted": make_signature(p, "Ana", "Counted"),
        "pending": make_signature(p, "Ben", "Pending", confirmed=False),
        "hidden": make_signature(p, "Cy", "Hidden", hidden=True),
        "hidden too": make_signature(p, "Di", "Hidden", confirmed=False, hidden=True),
    }
    for what, sig in sigs.items():
        in_python = (sig.counted, sig.pending, sig.hidden)
        assert in_python.count(True) == 1 and in_python[0] == (what == "counted")
        in_sql = db.session.execute(
            select(Signature.counted, Signature.pending).where(Signature.id == sig.id)
        ).one()
        assert tuple(in_sql) == in_python[:2]
    stats = overview(p).stats
    assert (stats.total, stats.counted, stats.pending, stats.hidden) == (4, 1, 1, 2)


def test_signatures_per_day_chart_uses_hartford_days(
    client, organizer, make_petition, make_signature
):
    p = make_petition()
    now = utcnow()
    two_days_ago = (now - timedelta(days=2)).replace(hour=15, minute=0)
    # 03:30 UTC is still the evening before in Hartford.
    late_evening = (now - timedelta(days=5)).replace(hour=3, minute=30)
    for i in range(3):
        make_signature(p, f"A{i}", "X", created_at=two_days_ago)
    for i in range(2):
        make_signature(p, f"B{i}", "Y", created_at=late_evening)
    make_signature(p, "Not", "Counted", created_at=two_days_ago, confirmed=False)
    make_signature(p, "Also", "Hidden", created_at=two_days_ago, hidden=True)

    def label(value):
        return value.replace(tzinfo=UTC).astimezone(HARTFORD).strftime("%b %-d")

    html = client.get(f"/manage/p/{p.slug}").get_data(as_text=True)
    chart = html.split('<div class="chart">', 1)[1].split("</svg>", 1)[0]
    assert chart.startswith("<svg") and 'role="img"' in chart
    assert f"<title>{label(two_days_ago)}: 3</title>" in chart
    assert f"<title>{label(late_evening)}: 2</title>" in chart
    assert label(late_evening) != (late_evening.strftime("%b %-d"))
    assert f"<title>{label(now)}: 0</title>" in chart
    assert len(re.findall(r"<rect ", chart)) >= 14


def test_search_by_name_email_town_and_zip(client, organizer, make_petition, make_signature):
    p = make_petition()
    make_signature(
        p, "María José", "Colón", email="mj@example.org", town="New Britain", postal_code="06051"
    )
    make_signature(
        p, "Darnell", "Johnson", email="dj@school.example", town="Windsor", postal_code="06095"
    )
    make_signature(p, "Grace", "Chen", email="grace_chen@example.org", town="Hartford")

    def found(q, **extra):
        html = client.get(f"/manage/p/{p.slug}", query_string={"q": q, **extra}).get_data(
            as_text=True
        )
        m = re.search(r'id="result-count">([\d,]+) signature', html)
        return int(m.group(1)), html

    assert found("johnson")[0] == 1
    assert found("JOHN")[0] == 1
    assert found("Colón")[0] == 1
    assert found("maría colón")[0] == 1  # every word must match some field
    assert found("maría johnson")[0] == 0
    assert found("school.example")[0] == 1
    assert found("new brit")[0] == 1
    assert found("06095")[0] == 1
    assert found("0609")[0] == 1
    assert found("")[0] == 3
    # LIKE wildcards are literal characters.
    assert found("%")[0] == 0
    assert found("_")[0] == 1  # only grace_chen has an underscore
    n, html = found("<script>alert(1)</script>")
    assert n == 0 and "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert found("x" * 5000)[0] == 0
    assert found("\x00 johnson \u202e")[0] == 1  # control characters are dropped, never a 500


def test_filters_and_pagination(client, organizer, make_petition, make_signature):
    p = make_petition()
    start = utcnow() - timedelta(hours=2)
    for i in range(62):
        make_signature(p, f"Signer{i:02d}", "Test", created_at=start + timedelta(minutes=i))
    make_signature(p, "Waiting", "Person", confirmed=False)
    url = f"/manage/p/{p.slug}"

    page1 = client.get(url).get_data(as_text=True)
    assert len(rows_of(page1)) == 50
    assert "Waiting Person" in page1  # newest first
    assert 'rel="next"' in page1 and 'rel="prev"' not in page1
    page2 = client.get(url, query_string={"page": 2}).get_data(as_text=True)
    assert len(rows_of(page2)) == 13 and "Signer00 Test" in page2 and 'rel="prev"' in page2
    # Out-of-range or junk page numbers land on a real page, never an error.
    assert len(rows_of(client.get(url, query_string={"page": 999}).get_data(as_text=True))) == 13
    for junk in ("abc", "-4", "0", "", "1.5"):
        r = client.get(url, query_string={"page": junk})
        assert r.status_code == 200 and len(rows_of(r.get_data(as_text=True))) == 50
    r = client.get(url, query_string={"page": "9" * 40})
    assert r.status_code == 200 and len(rows_of(r.get_data(as_text=True))) == 13
    pending = client.get(url, query_string={"show": "pending"}).get_data(as_text=True)
    assert len(rows_of(pending)) == 1 and "Waiting Person" in pending
    assert client.get(url, query_string={"show": "bogus"}).status_code == 200


def test_hide_and_restore_change_the_count(client, organizer, csrf, make_petition, make_signature):
    p = make_petition()
    keep = make_signature(p, "Real", "Person")
    spam = make_signature(p, "Buy", "Pills", flagged="link in comment")
    url = f"/manage/p/{p.slug}"
    token = csrf(url)
    assert number(client.get(url).get_data(as_text=True), "counted") == 2
    assert client.get(f"/p/{p.slug}.json").get_json()["signature_count"] == 2

    r = client.post(f"{url}/signatures/{spam.id}/hide", data={"csrf_token": token, "q": "pills"})
    assert r.status_code == 302 and r.headers["Location"].startswith(f"{url}?q=pills")
    html = client.get(url).get_data(as_text=True)
    assert number(html, "counted") == 1 and number(html, "hidden") == 1
    assert number(html, "flagged") == 0  # hidden ones leave the review list
    db.session.expire_all()
    assert db.session.get(Signature, spam.id).hidden is True
    assert db.session.get(Signature, keep.id).hidden is False
    # The public count follows at once (its short cache is dropped).
    assert client.get(f"/p/{p.slug}.json").get_json()["signature_count"] == 1

    r = client.post(f"{url}/signatures/{spam.id}/restore", data={"csrf_token": token})
    assert r.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert number(html, "counted") == 2 and number(html, "hidden") == 0
    # Restoring is a decision: no longer waiting for review.
    assert number(html, "flagged") == 0


def test_needs_review_keep_clears_the_flag(client, organizer, csrf, make_petition, make_signature):
    p = make_petition()
    odd = make_signature(p, "Burst", "Signer", flagged="12 signatures from one address in a minute")
    url = f"/manage/p/{p.slug}"
    html = client.get(url).get_data(as_text=True)
    review = html.split('id="review-h"', 1)[1].split("</section>", 1)[0]
    assert "Burst Signer" in review and "12 signatures from one address" in review
    r = client.post(f"{url}/signatures/{odd.id}/reviewed", data={"csrf_token": csrf(url)})
    assert r.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Nothing flagged." in html and number(html, "counted") == 1


def test_moderating_another_petitions_signature_is_404(
    client, organizer, csrf, make_petition, make_signature
):
    mine, theirs = make_petition(), make_petition()
    sig = make_signature(theirs, "Other", "Petition")
    token = csrf(f"/manage/p/{mine.slug}")
    for action in ("hide", "restore", "reviewed"):
        r = client.post(
            f"/manage/p/{mine.slug}/signatures/{sig.id}/{action}", data={"csrf_token": token}
        )
        assert r.status_code == 404
    for missing in ("999999", "9" * 30):
        r = client.post(
            f"/manage/p/{mine.slug}/signatures/{missing}/hide", data={"csrf_token": token}
        )
        assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(Signature, sig.id).hidden is False


def test_signer_text_is_escaped_on_the_dashboard(client, organizer, make_petition, make_signature):
    p = make_petition()
    make_signature(p, "<img src=x onerror=alert(1)>", "Brown", comment="<script>alert(2)</script>",
                  town="<b>Town</b>", flagged="<i>odd</i>")  # fmt: skip
    html = client.get(f"/manage/p/{p.slug}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert(2)" not in html and "<b>Town</b>" not in html and "<i>odd</i>" not in html


def test_names_in_any_script_are_shown_as_written(client, organizer, make_petition, make_signature):
    p = make_petition()
    make_signature(p, "Nguyễn Thị", "Hoa")
    make_signature(p, "محمد", "عبد الله")
    make_signature(p, "王", "小明")
    html = client.get(f"/manage/p/{p.slug}").get_data(as_text=True)
    for name in ("Nguyễn Thị Hoa", "محمد عبد الله", "王 小明"):
        assert name in html


# --- CSV export -----------------------------------------------------------------------------

HEADER = ("first_name,last_name,email,zip_code,town,role,waitlist_number,comment,show_name,"
          "opt_in,source,sheet_number,created_at,status")  # fmt: skip


def test_csv_export(client, organizer, make_petition, make_signature):
    p = make_petition()
    when = datetime(2025, 3, 4, 15, 6, 7, 891000)
    make_signature(p, "José", "Pérez", email="jose@example.org", postal_code="06106", town="Hartford",
                  role="parent", waitlist_number=1234, comment="Mi hijo espera, desde 2023.",
                  show_name=True, opt_in=True, created_at=when)  # fmt: skip
    make_signature(p, "=HYPERLINK(\"http://evil\")", "+Smith", email="-x@example.org",
                  comment="@SUM(A1)", confirmed=False, source="paper", sheet_number="12")  # fmt: skip
    make_signature(p, "Spam", "Bot", hidden=True)
    make_signature(make_petition(), "Someone", "Else", email="else@example.org")

    r = client.get(f"/manage/p/{p.slug}/signatures.csv")
    assert r.status_code == 200
    assert r.mimetype == "text/csv" and r.is_streamed
    assert re.match(rf'attachment; filename="signatures-{p.slug}-\d{{8}}-\d{{4}}\.csv"',
                    r.headers["Content-Disposition"])  # fmt: skip
    assert r.headers["Cache-Control"] == "private, no-store"
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff" + HEADER + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3 and "else@example.org" not in text
    jose = rows[0]
    assert jose == {
        "first_name": "José", "last_name": "Pérez", "email": "jose@example.org",
        "zip_code": "06106", "town": "Hartford", "role": "parent", "waitlist_number": "1234",
        "comment": "Mi hijo espera, desde 2023.", "show_name": "true", "opt_in": "true",
        "source": "online", "sheet_number": "", "created_at": "2025-03-04T15:06:07Z",
        "status": "confirmed",
    }  # fmt: skip
    evil = rows[1]
    assert evil["first_name"] == '\'=HYPERLINK("http://evil")'
    assert evil["last_name"] == "'+Smith" and evil["email"] == "'-x@example.org"
    assert evil["comment"] == "'@SUM(A1)"
    assert (evil["status"], evil["source"], evil["sheet_number"]) == ("pending", "paper", "12")
    assert (evil["show_name"], evil["opt_in"]) == ("false", "false")
    assert rows[2]["status"] == "hidden"


def test_export_is_logged_and_shown(client, organizer, make_petition, make_signature):
    p = make_petition()
    for i in range(4):
        make_signature(p, f"S{i}", "Log")
    client.get(f"/manage/p/{p.slug}/signatures.csv").get_data()
    db.session.expire_all()
    logs = db.session.scalars(select(ExportLog)).all()
    assert len(logs) == 1
    log = logs[0]
    assert (log.user_id, log.kind, log.subject, log.row_count) == (
        organizer.id,
        "signatures",
        p.slug,
        4,
    )
    assert abs(log.created_at - utcnow()) < timedelta(minutes=5)
    html = client.get(f"/manage/p/{p.slug}").get_data(as_text=True)
    exports = html.split('id="exports-h"', 1)[1]
    assert organizer.email in exports and '<td class="num">4</td>' in exports


def test_export_of_an_empty_petition_is_just_the_header(client, organizer, make_petition):
    p = make_petition()
    text = client.get(f"/manage/p/{p.slug}/signatures.csv").get_data(as_text=True)
    assert text == "\ufeff" + HEADER + "\r\n"


def test_volunteer_cannot_export_and_nothing_is_logged(
    client, make_user, login, make_petition, make_signature
):
    p = make_petition()
    make_signature(p)
    login(make_user("volunteer"))
    r = client.get(f"/manage/p/{p.slug}/signatures.csv")
    assert r.status_code == 403 and "jose" not in r.get_data(as_text=True).lower()
    assert db.session.scalars(select(ExportLog)).all() == []


def test_anonymous_export_redirects_to_login(client, make_petition):
    p = make_petition()
    r = client.get(f"/manage/p/{p.slug}/signatures.csv")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
