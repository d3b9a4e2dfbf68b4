"""The scanner page in Debian's Chromium: the fake camera shows a ticket's QR code."""

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from petitions.core import qr
from petitions.core.extensions import db
from petitions.models import Attendee, CheckIn
from tests.conftest import PASSWORD

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def write_y4m(path, text: str, frames: int = 4) -> None:
    """A 640×480 YUV 4:2:0 clip of the QR code for `text`, grey chroma (Chromium loops it)."""
    m = qr.matrix(text)
    scale = 300 // len(m)
    code = Image.new("L", (len(m), len(m)), 255)
    code.putdata([0 if cell else 255 for row in m for cell in row])
    code = code.resize((len(m) * scale, len(m) * scale), Image.NEAREST)
    frame = Image.new("L", (640, 480), 235)
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    # What the camera shows decodes with an independent decoder to the ticket URL.
    assert [r.text for r in zxingcpp.read_barcodes(frame)] == [text]
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            f.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def log_in(page, base: str, user) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/manage/**")


@pytest.fixture
def volunteer(make_user):
    user = make_user("volunteer")
    user.name = "Dana"
    db.session.commit()
    return user


def test_camera_scan_shows_green_then_orange(
    app, live_server, browser_factory, volunteer, tmp_path, make_event, make_attendee
):
    event = make_event(name="March to the State Board of Education")
    attendee, token = make_attendee(event, "Aaliyah Jackson", party_size=3,
                                    needs="interpretation,childcare",
                                    interpretation_language="es")  # fmt: skip
    clip = tmp_path / "ticket.y4m"
    write_y4m(clip, f"{live_server}/t/{token}")

    browser = browser_factory(
        [
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ]
    )
    context = browser.new_context(**PHONE)
    context.grant_permissions(["camera"], origin=live_server)
    page = context.new_page()
    log_in(page, live_server, volunteer)
    errors: list[str] = []  # CSP violations and script errors on the scanner page
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/manage/e/{event.slug}/scan")
    result = page.locator("#scan-result")

    page.wait_for_selector("#scan-result[data-result=ok]", timeout=20000)
    assert "Checked in" in result.inner_text() and "Aaliyah Jackson" in result.inner_text()
    # What the volunteer acts on at the door: the household and what they asked for.
    assert page.inner_text("#scan-party") == "Party of 3"
    assert page.inner_text("#scan-needs") == "Needs: Spanish interpretation, Childcare"
    # Chromium on Linux has no BarcodeDetector: this went through the vendored jsQR.
    assert page.get_attribute("#scan-video", "data-decoder") in ("jsQR", "BarcodeDetector")

    # The same ticket, still in front of the camera after the pause: already checked in.
    page.wait_for_selector("#scan-result[data-result=already]", timeout=20000)
    text = result.inner_text()
    assert "Already checked in" in text and "by Dana" in text and "Aaliyah Jackson" in text
    assert "Party of 3" in text and "Needs: Spanish interpretation, Childcare" in text
    context.close()

    db.session.rollback()
    scans = db.session.scalars(select(CheckIn).where(CheckIn.attendee_id == attendee.id)).all()
    assert [s.result for s in scans][:2] == ["ok", "already"]
    assert all(s.user_id == volunteer.id and s.device.startswith("scanner") for s in scans)
    assert (
        db.session.scalar(select(Attendee.checked_in_by_id).where(Attendee.id == attendee.id))
        == volunteer.id
    )
    assert errors == []
