"""The scanner page, its manifest and service worker, and "Check in" on the ticket page."""

import io
import re
import uuid

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from petitions.core import qr
from petitions.core.extensions import db
from petitions.models import CheckIn
from tests.conftest import csrf_from


@pytest.fixture
def volunteer(make_user, login):
    user = make_user("volunteer")
    user.name = "Dana"
    db.session.commit()
    return login(user)


def test_scanner_page_needs_a_login(app, client, make_event):
    event = make_event()
    response = client.get(f"/manage/e/{event.slug}/scan")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get(f"/manage/e/{event.slug}/scan.webmanifest").status_code == 302


def test_scanner_page_for_a_volunteer(app, client, volunteer, make_event):
    event = make_event(name='Rally <b>"seats"</b>')
    response = client.get(f"/manage/e/{event.slug}/scan")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "private, no-store"
    # CSP-clean: no inline scripts, handlers or style attributes; the event name escaped.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html) and "style=" not in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert f'data-event="{event.slug}"' in html and 'data-me="Dana"' in html
    assert "/static/vendor/jsqr/jsQR.js" in html and "/static/js/scanner.js" in html
    assert 'rel="manifest"' in html and 'id="scan-code"' in html


def test_scanner_page_for_an_unknown_event_is_404(app, client, volunteer):
    assert client.get("/manage/e/no-such-rally/scan").status_code == 404


def test_manifest_makes_an_installable_app(app, client, volunteer, make_event):
    event = make_event()
    response = client.get(f"/manage/e/{event.slug}/scan.webmanifest")
    assert response.mimetype == "application/manifest+json"
    body = response.get_json(force=True)
    assert body["start_url"] == f"/manage/e/{event.slug}/scan" and body["display"] == "standalone"
    assert body["scope"] == "/manage/e/"
    sizes = {i["sizes"] for i in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        got = client.get(icon["src"])
        assert got.status_code == 200
        assert Image.open(io.BytesIO(got.data)).size == tuple(map(int, icon["sizes"].split("x")))


def test_service_worker_covers_the_scanner_and_lists_existing_assets(app, client):
    response = client.get("/manage/e/scanner-sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/manage/e/"
    assert response.headers["Cache-Control"] == "no-cache"
    js = response.get_data(as_text=True)
    assets = re.search(r"self\.SCANNER_ASSETS = (\[.*?\]);", js).group(1)
    import json

    for url in json.loads(assets):
        assert client.get(url).status_code == 200, url
    assert "/static/vendor/jsqr/jsQR.js" in assets and re.search(r'SCANNER_VERSION = "\w{12}"', js)


def ticket_page(client, token):
    response = client.get(f"/t/{token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_ticket_page_offers_check_in_to_staff_only(
    app, client, make_user, login, make_event, make_attendee
):
    event = make_event()
    _, token = make_attendee(event, "Grace Williams")
    assert 'action="/t/' not in ticket_page(client, token)
    login(make_user("volunteer"))
    html = ticket_page(client, token)
    assert f'action="/t/{token}"' in html and "Check in Grace Williams" in html


def test_check_in_from_the_ticket_page(app, client, volunteer, make_event, make_attendee):
    event = make_event()
    attendee, token = make_attendee(event, "Grace Williams")
    html = ticket_page(client, token)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_from(html), "nonce": nonce}

    first = client.post(f"/t/{token}", data=data)
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "scan-result ok" in page and "Checked in" in page and "Grace Williams" in page
    # A double tap (same nonce) is the same check-in, logged once.
    again = client.post(f"/t/{token}", data=data).get_data(as_text=True)
    assert "scan-result ok" in again
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1

    # The ticket page now says who checked them in, and when.
    html = ticket_page(client, token)
    assert "Already checked in at" in html and "by Dana" in html
    fresh = {"csrf_token": csrf_from(html), "nonce": uuid.uuid4().hex}
    later = client.post(f"/t/{token}", data=fresh).get_data(as_text=True)
    assert "scan-result already" in later and "by Dana" in later
    db.session.refresh(attendee)
    assert attendee.checked_in_by_id == volunteer.id


def test_ticket_check_in_guards(app, client, make_user, login, csrf, make_event, make_attendee):
    event = make_event()
    _, token = make_attendee(event)
    data = {"nonce": uuid.uuid4().hex}
    assert client.post(f"/t/{token}", data=data).status_code == 400  # no CSRF token
    anonymous = client.post(f"/t/{token}", data={**data, "csrf_token": csrf()})
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    login(make_user("volunteer"))
    assert client.post(f"/t/{token}", data=data).status_code == 400  # no CSRF token
    data["csrf_token"] = csrf("/manage/")
    bad_nonce = client.post(f"/t/{token}", data={**data, "nonce": "x"})
    assert bad_nonce.status_code == 400 and "Not checked in" in bad_nonce.get_data(as_text=True)
    unknown = client.post("/t/not-a-real-ticket", data=data)
    assert unknown.status_code == 404 and "Unknown ticket" in unknown.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1  # the unknown scan, logged


def test_ticket_qr_code_decodes_to_the_ticket_url(app, client, make_event, make_attendee):
    """The QR code the ticket page draws is the URL the scanner expects."""
    event = make_event()
    _, token = make_attendee(event)
    html = ticket_page(client, token)
    svg = re.search(r"<svg[^>]*viewBox=\"0 0 (\d+) \1\".*?<path d=\"([^\"]+)\"", html, re.S)
    assert svg, "no QR code on the ticket page"
    size, path = int(svg.group(1)), svg.group(2)
    img = Image.new("L", (size, size), 255)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)", path):
        for dx in range(int(w)):
            img.putpixel((int(x) + dx, int(y)), 0)
    img = img.resize((size * 8, size * 8), Image.NEAREST)
    texts = [r.text for r in zxingcpp.read_barcodes(img)]
    assert len(texts) == 1 and texts[0].endswith(f"/t/{token}")
    assert qr.matrix(texts[0])  # and the scanner's own parser takes it
    from petitions.rallies.checkin import ticket_token

    assert ticket_token(texts[0]) == token
