"""QR codes: inline SVG for pages, PNG for mail, vector drawing for PDFs.

The mask pattern is fixed: the qrcode package's default makes the code with each of the
eight masks and scores them, while any mask decodes on every reader. See BENCHMARKS.md.
"""

import io
from functools import lru_cache

import qrcode
from markupsafe import Markup
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

MASK_PATTERN = 0
BORDER = 4  # quiet zone in modules, as the standard asks


@lru_cache(maxsize=2048)
def matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The module matrix, quiet zone included."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=BORDER, mask_pattern=MASK_PATTERN)
    qr.add_data(data)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.get_matrix())


def _dark_runs(m):
    """(x, y, length) for each horizontal run of dark modules."""
    for y, row in enumerate(m):
        x, n = 0, len(row)
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                yield start, y, x - start
            else:
                x += 1


def svg(data: str, label: str = "") -> Markup:
    """An inline, scalable SVG (one path) with an accessible label."""
    m = matrix(data)
    size = len(m)
    path = "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in _dark_runs(m))
    title = Markup.escape(label or data)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{title}" shape-rendering="crispEdges"><title>{title}</title>'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )


def png(data: str, scale: int = 8) -> bytes:
    """PNG bytes (for e-mail, where SVG is not shown)."""
    m = matrix(data)
    size = len(m)
    img = Image.new("1", (size, size), 1)
    img.putdata([0 if cell else 1 for row in m for cell in row])
    img = img.resize((size * scale, size * scale), Image.NEAREST)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def draw(canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw the code on a reportlab canvas with its lower-left corner at (x, y), size points wide."""
    m = matrix(data)
    module = size / len(m)
    n = len(m)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for mx, my, w in _dark_runs(m):
        path.rect(x + mx * module, y + (n - my - 1) * module, w * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
