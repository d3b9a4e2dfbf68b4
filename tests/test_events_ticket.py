"""The personal ticket page /t/<token>: QR code, privacy, unknown/forged/revoked/malformed, rate limit."""

import re

import zxingcpp
from PIL import Image, ImageDraw

from petitions.core.extensions import db
from petitions.core.tokens import new_token

PATH_RE = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\d+z")


def svg_to_image(html: str, scale: int = 6) -> Image.Image:
    """Draw the page's QR SVG (one path of horizontal runs) as pixels, as a browser would."""
    svg = html[html.index("<svg") : html.index("</svg>")]
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    d = re.search(r'<path d="([^"]+)"', svg).group(1)
    for x, y, w in PATH_RE.findall(d):
        x, y, w = int(x), int(y), int(w)
        draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + 1) * scale - 1], fill=0)
    return img


def test_ticket_page_shows_qr_of_its_own_url(client, make_event, make_attendee):
    event = make_event()
    attendee, token = make_attendee(event, name="José Colón")
    r = client.get(f"/t/{token}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "José Colón" in html and event.name in html
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    decoded = [b.text for b in zxingcpp.read_barcodes(svg_to_image(html))]
    assert decoded == [f"http://localhost/t/{token}"]


def test_ticket_page_shows_nothing_of_another_person(client, make_event, make_attendee):
    event = make_event()
    mine, token = make_attendee(
        event, name="Ana Rivera", email="ana@example.org", phone="8605550100"
    )
    make_attendee(event, name="Keisha Williams", email="keisha@example.org", phone="8605550199")
    html = client.get(f"/t/{token}").get_data(as_text=True)
    assert "Ana Rivera" in html
    for other in ("Keisha", "Williams", "keisha@example.org", "8605550199"):
        assert other not in html
    # Not even the holder's own contact details (a forwarded link must not leak them).
    assert "ana@example.org" not in html and "8605550100" not in html


def test_unknown_forged_revoked_malformed_tokens_are_404(client, make_event, make_attendee):
    event = make_event()
    _, revoked_token = make_attendee(event, revoked=True)
    _, good = make_attendee(event)
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    for token in (
        new_token(),
        forged,
        revoked_token,
        "short",
        "x" * 200,
        "ABC%00DEF",
        "UUUUUUUUUUUUUUUUUUUUUUUUUU",
    ):
        r = client.get(f"/t/{token}")
        assert r.status_code == 404, token
        assert "Unknown ticket" in r.get_data(as_text=True)


def test_lowercase_token_redirects_to_canonical(client, make_event, make_attendee):
    event = make_event()
    _, token = make_attendee(event)
    r = client.get(f"/t/{token.lower()}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/t/{token}")


def test_guessing_is_rate_limited_but_opening_a_ticket_is_not(client, make_event, make_attendee):
    event = make_event()
    _, token = make_attendee(event)
    for _ in range(40):  # a real ticket opened again and again (refreshes at the rally)
        assert client.get(f"/t/{token}").status_code == 200
    codes = [client.get(f"/t/{new_token()}").status_code for _ in range(31)]
    assert codes[:30] == [404] * 30
    assert codes[30] == 429


def test_cancelled_event_ticket_says_so(client, make_event, make_attendee):
    event = make_event(status="cancelled")
    _, token = make_attendee(event)
    assert "This event has been cancelled" in client.get(f"/t/{token}").get_data(as_text=True)


def test_checked_in_ticket_shows_local_time(client, make_event, make_attendee):
    from datetime import datetime

    event = make_event()
    attendee, token = make_attendee(event)
    attendee.checked_in_at = datetime(2030, 7, 4, 16, 5)  # 12:05 EDT
    db.session.commit()
    html = client.get(f"/t/{token}").get_data(as_text=True)
    assert "Checked in at Jul 4, 12:05" in html  # with the date: not today
