import io

import pytest
import zxingcpp
from PIL import Image
from reportlab.pdfgen import canvas

from petitions.core import qr

URL = "https://act.example.org/p/fund-seats?ref=qr"


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_png_decodes_to_url():
    assert decode(Image.open(io.BytesIO(qr.png(URL)))) == [URL]


def test_svg_is_labelled_and_escaped():
    out = str(qr.svg('https://x.example/?a=1&b="2"'))
    assert out.startswith("<svg") and 'role="img"' in out
    assert "&amp;" in out and '"2"' not in out


def test_pdf_drawing_decodes_to_url(tmp_path):
    pypdfium2 = pytest.importorskip("pypdfium2")
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(200, 200))
    qr.draw(c, URL, 20, 20, 160)
    c.save()
    page = pypdfium2.PdfDocument(buf.getvalue())[0]
    image = page.render(scale=150 / 72).to_pil()
    assert decode(image) == [URL]
