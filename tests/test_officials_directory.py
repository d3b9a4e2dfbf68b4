"""Officials directory: pages, authorization, CSRF, CSV export/import (all or nothing)."""

import csv
import io

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import ExportLog
from petitions.models.official import Official
from tests.conftest import csrf_from
from tests.packets_helpers import add_official


def _count():
    return db.session.scalar(select(func.count(Official.id)))


def _snapshot():
    return sorted(
        (o.name, o.title, o.body, o.district, tuple(sorted(o.towns)), tuple(sorted(o.zip_codes)),
         o.email, o.phone, o.address)
        for o in db.session.scalars(select(Official))
    )  # fmt: skip


def _upload(client, content):
    if isinstance(content, str):
        content = content.encode()
    token = csrf_from(client.get("/manage/officials/import").get_data(as_text=True))
    return client.post(
        "/manage/officials/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "officials.csv")},
        content_type="multipart/form-data",
    )


def test_add_edit_delete_an_official(client, organizer):
    page = client.get("/manage/officials/new")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_from(page.get_data(as_text=True)),
        "name": "Ana Rivera", "title": "State Representative",
        "body": "Connecticut House of Representatives", "district": "District 7",
        "towns": "Hartford\nWest Hartford", "zip_codes": "06106; 06112-3344",
        "email": "ana@example.gov", "phone": "860-555-0100", "address": "300 Capitol Ave",
    }  # fmt: skip
    response = client.post("/manage/officials/new", data=data)
    assert response.status_code == 302
    official = db.session.scalar(select(Official))
    assert official.towns == ["Hartford", "West Hartford"]
    assert official.zip_codes == ["06106", "06112"]
    listing = client.get("/manage/officials").get_data(as_text=True)
    assert "Ana Rivera" in listing and "West Hartford" in listing

    edit_url = f"/manage/officials/{official.id}/edit"
    token = csrf_from(client.get(edit_url).get_data(as_text=True))
    data.update(csrf_token=token, towns="Hartford", zip_codes="")
    assert client.post(edit_url, data=data).status_code == 302
    db.session.expire_all()
    assert official.towns == ["Hartford"] and official.zip_codes == []

    token = csrf_from(client.get("/manage/officials").get_data(as_text=True))
    assert (
        client.post(
            f"/manage/officials/{official.id}/delete", data={"csrf_token": token}
        ).status_code
        == 302
    )
    assert _count() == 0


def test_bad_official_input_gets_clear_messages(client, organizer):
    token = csrf_from(client.get("/manage/officials/new").get_data(as_text=True))
    response = client.post("/manage/officials/new", data={
        "csrf_token": token, "name": "", "zip_codes": "0610", "email": "not-an-email",
        "towns": "x" * 150})  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "is not a 5-digit ZIP code" in html and "Town name too long" in html
    assert 'class="error"' in html
    assert _count() == 0
    assert client.get("/manage/officials/99999/edit").status_code == 404


@pytest.mark.parametrize("url,method", [
    ("/manage/officials", "get"), ("/manage/officials/new", "get"), ("/manage/officials.csv", "get"),
    ("/manage/officials/import", "get"), ("/manage/officials/1/delete", "post"),
])  # fmt: skip
def test_anonymous_are_sent_to_login_and_volunteers_forbidden(
    client, csrf, make_user, login, url, method
):
    add_official("Someone", towns=["Hartford"])
    data = {"data": {"csrf_token": csrf()}} if method == "post" else {}
    response = getattr(client, method)(url, **data)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(make_user("volunteer"))
    data = {"data": {"csrf_token": csrf()}} if method == "post" else {}
    assert getattr(client, method)(url, **data).status_code == 403
    assert _count() == 1


def test_forms_need_csrf(client, organizer):
    official = add_official("Someone", towns=["Hartford"])
    assert client.post("/manage/officials/new", data={"name": "X"}).status_code == 400
    assert client.post(f"/manage/officials/{official.id}/delete").status_code == 400
    response = client.post("/manage/officials/import",
                           data={"file": (io.BytesIO(b"name\nX\n"), "o.csv")},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 400
    assert _count() == 1


def test_csv_round_trip_gives_the_same_directory(client, organizer):
    add_official("Ana Rivera", towns=["Hartford", "West Hartford"], zips=["06106"],
                 title="State Representative", body="Connecticut House of Representatives",
                 district="District 7", email="ana@example.gov", phone="+1 860 555 0100",
                 address="Legislative Office Building\n300 Capitol Ave")  # fmt: skip
    add_official('=HYPERLINK("x")', towns=["Bloomfield"], title="-Senator", body="王 委员会")
    add_official("Wei Chen", zips=["06002", "06095"])
    before = _snapshot()
    response = client.get("/manage/officials.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    exported = response.get_data()
    text = exported.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["id", "name", "title"]
    # Formula-guarded: no cell starts with = or - (nor +) in the file.
    assert all(not cell.startswith(("=", "-", "+", "@")) for row in rows for cell in row)
    assert db.session.scalar(select(ExportLog.kind)) == "officials"

    # Import into the same directory: everything matches by id, nothing changes.
    response = _upload(client, exported)
    assert response.status_code == 302
    assert _snapshot() == before and _count() == 3

    # Import into an empty directory: the same officials come back.
    for o in db.session.scalars(select(Official)):
        db.session.delete(o)
    db.session.commit()
    response = _upload(client, exported)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _snapshot() == before


def test_malformed_csv_gets_a_row_by_row_report_and_nothing_is_imported(client, organizer):
    add_official("Existing Official", towns=["Hartford"])
    content = (
        "name,title,towns,zip_codes,email\n"
        "Good One,Rep.,Hartford,06106,good@example.org\n"
        ",Rep.,Hartford,,\n"
        "Bad Zip,Rep.,,123,\n"
        "Bad Mail,Rep.,,,not-an-email\n"
        "Good One,Rep.,Hartford,06106,\n"
        "Too,Many,Cells,06106,a@example.org,extra\n"
    )
    response = _upload(client, content)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html
    for line, message in [(3, "Name is missing"), (4, "5-digit ZIP"), (5, "is not an email"),
                          (6, "Same official as line 2"), (7, "More cells")]:  # fmt: skip
        assert f"<td>{line}</td>" in html and message in html
    assert _count() == 1  # not even the good row

    for bad, message in [(b"", "file is empty"), (b"title,body\nx,y\n", "No “name” column"),
                         (b"name\n", "no rows"), (b"\x00\x01\x02name", "CSV text file")]:  # fmt: skip
        response = _upload(client, bad)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert _count() == 1


def test_windows_excel_csv_is_read(client, organizer):
    content = "name,towns\nJosé Colón,Hartford\n".encode("cp1252")
    assert _upload(client, content).status_code == 302
    assert db.session.scalar(select(Official.name)) == "José Colón"
