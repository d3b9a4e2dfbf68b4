"""CSV import of signatures: dry run, then the import (/manage/p/<slug>/import)."""

import io
import re
from datetime import datetime

from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Signature
from tests.conftest import csrf_from


def count(petition):
    return db.session.scalar(
        select(func.count(Signature.id)).where(Signature.petition_id == petition.id)
    )


def upload(client, petition, content: bytes | str, filename="people.csv"):
    if isinstance(content, str):
        content = content.encode()
    url = f"/manage/p/{petition.slug}/import"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def counts(html: str) -> dict:
    return {
        k: int(re.search(rf'id="count-{k}">(\d+)<', html).group(1))
        for k in ("total", "accepted", "duplicate", "invalid")
    }


def confirm(client, petition, html: str):
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    expected = re.search(r'name="expected" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(
        f"/manage/p/{petition.slug}/import/confirm",
        data={"csrf_token": csrf_from(html), "token": token, "expected": expected},
    )


MIXED = """first_name,last_name,email,zip_code,town,role,waitlist_number,comment
Luis,Santiago,luis@example.org,06112,Hartford,parent,,My son waits.
Keisha,Williams,,06002,Bloomfield,educator,,
Wei,Chen,wei@example.org,6107,West Hartford,S,,
Ana,Rivera,ANA@example.org,06106,Hartford,,,
Luis,Santiago,luis@example.org,06112,Hartford,parent,,again
Bad,Zip,bad@example.org,ABCDE,Hartford,,,
Nolast,,nolast@example.org,06106,Hartford,,,
Bad,Email,not-an-email,06106,Hartford,,,
"""


def test_dry_run_reports_exact_counts_and_writes_nothing_then_import(
    client, organizer, make_petition, make_signature
):
    p = make_petition()
    make_signature(p, "Ana", "Rivera", "ana@example.org")
    r = upload(client, p, MIXED)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert counts(html) == {"total": 8, "accepted": 3, "duplicate": 2, "invalid": 3}
    assert "already signed this petition" in html and "repeats line 2 of this file" in html
    # Row-by-row: line numbers (header = line 1) with reasons.
    assert re.search(r"<td>7</td><td>Bad Zip</td><td>“ABCDE” is not a ZIP code", html)
    assert re.search(r"<td>8</td><td>Nolast</td><td>Family name is missing", html)
    assert re.search(r"<td>9</td><td>Bad Email</td><td>“not-an-email” is not an email", html)
    assert count(p) == 1  # the check wrote nothing

    r = confirm(client, p, html)
    assert r.status_code == 302
    assert "Imported 3 signatures; 5 rows skipped." in client.get(r.headers["Location"]).get_data(
        as_text=True
    )
    rows = db.session.scalars(
        select(Signature).where(Signature.source == "import").order_by(Signature.id)
    ).all()
    assert [(s.given_name, s.email, s.postal_code, s.role) for s in rows] == [
        ("Luis", "luis@example.org", "06112", "parent"),
        ("Keisha", "", "06002", "educator"),
        ("Wei", "wei@example.org", "06107", "student"),  # a spreadsheet ate the leading 0
    ]
    assert all(s.confirmed_at is not None and s.petition_id == p.id for s in rows)
    assert rows[0].comment == "My son waits."
    assert count(p) == 4
    # The stored upload is gone: the same confirmation cannot import twice.
    r = confirm(client, p, html)
    assert r.status_code == 302 and count(p) == 4


def test_variant_headers_semicolons_bom_and_formula_text(client, organizer, make_petition):
    p = make_petition(ask_waitlist=True)
    content = (
        "\ufeffFirst Name;Last Name;E-mail Address;Postal Code;City;Waitlist;Date Signed;Notes\r\n"
        '=HYPERLINK("http://x");Pérez;maria@example.org;06106-1234;Hartford;123;'
        "2024-05-01 10:00;x\r\n"
        "'=cmd|' /C calc'!A0;Ortiz;;06108;East Hartford;;05/02/2024;\r\n"
    )
    r = upload(client, p, content)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and counts(html)["accepted"] == 2, html
    assert "Notes" in html  # ignored columns are named
    assert confirm(client, p, html).status_code == 302
    a, b = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    assert a.given_name == '=HYPERLINK("http://x")' and a.postal_code == "06106"
    assert a.waitlist_number == 123 and a.created_at == datetime(2024, 5, 1, 10, 0)
    # Our own export's spreadsheet guard (a leading ') is taken off again.
    assert b.given_name == "=cmd|' /C calc'!A0" and b.created_at == datetime(2024, 5, 2)
    # The export neutralizes formulas again.
    export = client.get(f"/manage/p/{p.slug}/signatures.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in export


def test_wrong_header_is_refused_with_nothing_imported(client, organizer, make_petition):
    p = make_petition()
    r = upload(client, p, "name,mail\nAna Rivera,ana@example.org\n")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "cannot be imported" in html and "found: name, mail" in html
    assert 'name="token"' not in html and count(p) == 0


def test_bad_encoding_names_the_line(client, organizer, make_petition):
    p = make_petition()
    content = b"first_name,last_name,email,zip\nAna,Rivera,a@example.org,06106\n"
    content += "José,Colón,j@example.org,06106\n".encode("latin-1")
    r = upload(client, p, content)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r"<td>3</td><td></td><td>not UTF-8 text", html)
    assert 'name="token"' not in html and count(p) == 0


def test_ragged_rows_are_reported_line_by_line_and_block_the_import(
    client, organizer, make_petition
):
    p = make_petition()
    content = (
        "first_name,last_name,email,zip_code\n"
        "Ana,Rivera,ana@example.org,06106\n"
        "Luis,Santiago,luis@example.org\n"
        "Wei,Chen,wei@example.org,06107,extra\n"
        "Keisha,Williams,k@example.org,06002\n"
    )
    r = upload(client, p, content)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r"<td>3</td><td></td><td>3 cells where the header has 4", html)
    assert re.search(r"<td>4</td><td></td><td>5 cells where the header has 4", html)
    assert 'name="token"' not in html and count(p) == 0


def test_empty_and_header_only_files(client, organizer, make_petition):
    p = make_petition()
    for content in ("", "first_name,last_name,email\n"):
        r = upload(client, p, content)
        assert r.status_code == 422 and count(p) == 0


def test_too_large_is_a_clear_413(client, organizer, make_petition, app):
    app.config["PAPER_IMPORT_MAX_BYTES"] = 2000
    p = make_petition()
    big = "first_name,last_name,email,zip\n" + "Ana,Rivera,ana@example.org,06106\n" * 200
    r = upload(client, p, big)
    assert r.status_code == 413
    assert "larger than" in r.get_data(as_text=True) and count(p) == 0
    # Larger than the app's 1 MB form limit is fine under the import's own limit.
    app.config["PAPER_IMPORT_MAX_BYTES"] = 3 * 1024 * 1024
    story = "We have waited three years for a seat. " * 15
    rows = "".join(f"Ana{i},Rivera,ana{i}@example.org,06106,{story}\n" for i in range(2000))
    content = "first_name,last_name,email,zip,comment\n" + rows
    assert len(content) > 1024 * 1024
    r = upload(client, p, content)
    assert r.status_code == 200 and counts(r.get_data(as_text=True))["accepted"] == 2000


def test_database_changes_between_check_and_import(
    client, organizer, make_petition, make_signature
):
    p = make_petition()
    html = upload(client, p, MIXED).get_data(as_text=True)
    assert counts(html)["accepted"] == 4
    make_signature(
        p, "Luis", "Santiago", "luis@example.org", postal_code="06112"
    )  # signed meanwhile
    r = confirm(client, p, html)
    assert r.status_code == 409 and count(p) == 1
    html = r.get_data(as_text=True)
    assert "changed since the check" in html and counts(html)["accepted"] == 3
    assert confirm(client, p, html).status_code == 302 and count(p) == 4


def test_upload_belongs_to_its_uploader_and_petition(
    client, organizer, make_petition, make_user, login
):
    p, other = make_petition(), make_petition()
    html = upload(client, p, MIXED).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    # Another petition's confirm URL with this token: unknown there.
    r = client.post(
        f"/manage/p/{other.slug}/import/confirm",
        data={"csrf_token": csrf_from(html), "token": token, "expected": "4"},
    )
    assert r.status_code == 302 and count(other) == 0
    for bad in ("../../etc/passwd", "x" * 26, ""):
        r = client.post(
            f"/manage/p/{p.slug}/import/confirm",
            data={"csrf_token": csrf_from(html), "token": bad, "expected": "4"},
        )
        assert r.status_code in (302, 400)
    client.post("/auth/logout", data={"csrf_token": csrf_from(html)})
    login(make_user("organizer"))
    r = client.post(
        f"/manage/p/{p.slug}/import/confirm",
        data={"csrf_token": csrf_from(client.get("/manage/paper").get_data(as_text=True)),
              "token": token, "expected": "4"},
    )  # fmt: skip
    assert r.status_code == 302 and count(p) == 0


def test_anonymous_and_volunteers_are_kept_out(client, make_user, login, make_petition):
    p = make_petition()
    url = f"/manage/p/{p.slug}/import"
    assert "/auth/login" in client.get(url).headers["Location"]
    r = client.post(url, data={"file": (io.BytesIO(MIXED.encode()), "x.csv")})
    assert r.status_code in (302, 400) and count(p) == 0
    login(make_user("volunteer"))
    assert client.get(url).status_code == 403
    html = client.get(f"/manage/p/{p.slug}/paper").get_data(as_text=True)
    r = client.post(
        url,
        data={"csrf_token": csrf_from(html), "file": (io.BytesIO(MIXED.encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 403 and count(p) == 0
    r = client.post(f"/manage/p/{p.slug}/import/confirm", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 403


def test_csrf_is_required(client, organizer, make_petition):
    p = make_petition()
    url = f"/manage/p/{p.slug}/import"
    r = client.post(
        url,
        data={"file": (io.BytesIO(MIXED.encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and count(p) == 0
    r = client.post(f"/manage/p/{p.slug}/import/confirm", data={"token": "x", "expected": "1"})
    assert r.status_code == 400 and count(p) == 0


def test_signature_csv_round_trips(client, organizer, make_petition, make_signature):
    """Export petition A from the dashboard, import into petition B: the same signers."""
    a, b = make_petition(ask_waitlist=True), make_petition(ask_waitlist=True)
    make_signature(a, "Ana", "Rivera", "ana@example.org", role="parent", waitlist_number=4521,
                  comment="Mi hija espera, \"desde\" 2022.\nSegunda línea", show_name=True,
                  opt_in=True)  # fmt: skip
    make_signature(
        a, "Zoë", "O'Brien-Nguyễn", "zoe@example.org", postal_code="06107", role="student"
    )
    make_signature(a, "=SUM(1+1)", "-Minus", "formula@example.org", postal_code="06108")
    make_signature(a, "李", "小龍", "li@example.org", postal_code="06002")
    db.session.add(
        Signature(petition_id=a.id, given_name="Keisha", family_name="Williams", email="",
                  email_key="@no-email:06002", name_key="keisha williams", postal_code="06002",
                  town="Bloomfield", source="paper", sheet_number="7", token="K" * 26,
                  created_at=datetime(2024, 6, 1, 9, 30), confirmed_at=datetime(2024, 6, 1, 9, 30))
    )  # fmt: skip
    db.session.commit()

    export = client.get(f"/manage/p/{a.slug}/signatures.csv")
    assert export.status_code == 200
    r = upload(client, b, export.data, filename="export.csv")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and counts(html) == {
        "total": 5, "accepted": 5, "duplicate": 0, "invalid": 0}  # fmt: skip
    assert confirm(client, b, html).status_code == 302

    def signers(p):
        rows = db.session.scalars(select(Signature).where(Signature.petition_id == p.id)).all()
        return sorted(
            (s.given_name, s.family_name, s.email, s.postal_code, s.town, s.role,
             s.waitlist_number, s.comment, s.show_name, s.opt_in, s.sheet_number,
             s.created_at.replace(microsecond=0), s.confirmed_at is not None)
            for s in rows
        )  # fmt: skip

    assert signers(b) == signers(a)
    # Importing the same file again finds every row a duplicate.
    html = upload(client, b, export.data).get_data(as_text=True)
    assert counts(html) == {"total": 5, "accepted": 0, "duplicate": 5, "invalid": 0}
    assert "nothing new to import" in html


def test_source_status_dates_and_flags_are_checked(client, organizer, make_petition):
    p = make_petition()
    content = (
        "first_name,last_name,email,zip_code,opt_in,created_at,status\n"
        "Ana,Rivera,a@example.org,06106,true,2024-05-01T10:00:00Z,confirmed\n"
        "Luis,Santiago,l@example.org,06112,maybe,,\n"
        "Wei,Chen,w@example.org,06107,no,yesterday,\n"
        "Omar,Torres,o@example.org,06108,no,2999-01-01,\n"
        "Grace,Davis,g@example.org,06109,no,,pending\n"
        "Sofia,Ramos,s@example.org,06111,no,,hidden\n"
    )
    html = upload(client, p, content).get_data(as_text=True)
    assert counts(html) == {"total": 6, "accepted": 1, "duplicate": 0, "invalid": 5}
    for reason in ("“maybe” is not yes or no.", "“yesterday” not understood",
                   "Date is in the future.", "Not confirmed in the source.",
                   "Hidden in the source."):  # fmt: skip
        assert reason in html
    assert confirm(client, p, html).status_code == 302
    (s,) = db.session.scalars(select(Signature).where(Signature.petition_id == p.id)).all()
    assert s.opt_in and s.created_at == datetime(2024, 5, 1, 10, 0) and s.source == "import"


def test_draft_petition_is_checked_but_not_imported(client, organizer, make_petition):
    p = make_petition(status="draft")
    r = upload(client, p, MIXED)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and counts(html)["accepted"] == 4
    assert "publish it before importing" in html and 'name="token"' not in html


def test_import_keeps_the_household_limit(app, client, organizer, make_petition, make_signature):
    """An import is held to the same household rule as every other way in: at most
    SIGN_HOUSEHOLD_MAX names per email, counting those who signed already."""
    app.config["SIGN_HOUSEHOLD_MAX"] = 3
    p = make_petition()
    make_signature(p, "Ana", "Rivera", "family@example.org")
    rows = "".join(f"Kid{i},Rivera,family@example.org,06106\n" for i in range(1, 4))
    r = upload(client, p, "first_name,last_name,email,zip_code\n" + rows)
    html = r.get_data(as_text=True)
    assert counts(html) == {"total": 3, "accepted": 2, "duplicate": 0, "invalid": 1}
    assert re.search(r"<td>4</td><td>Kid3 Rivera</td><td>3 people have already signed", html)
    assert confirm(client, p, html).status_code == 302
    assert count(p) == 3
