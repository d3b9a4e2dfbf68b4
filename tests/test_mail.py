from petitions import qr
from petitions.services.mail import send_mail


def test_mail_goes_over_smtp_with_inline_image(app, smtp_server):
    send_mail(
        "ana@example.org",
        "Your ticket",
        "See you there",
        html='<p>Ticket</p><img src="cid:qr">',
        inline_images={"qr": qr.png("https://example.org/t/X")},
    )
    assert len(smtp_server) == 1
    msg = smtp_server[0]
    assert msg["To"] == "ana@example.org" and msg["Subject"] == "Your ticket"
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert images and images[0]["Content-ID"] == "<qr>"


def test_mail_without_smtp_goes_to_outbox(app, tmp_path):
    app.config["MAIL_SERVER"] = None
    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    send_mail("ana@example.org", "Hola", "Texto con acentos: áéí")
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert b"Subject: Hola" in files[0].read_bytes()
