"""Every font in every PDF the toolkit writes is embedded (print shops and PDF/A checkers
reject a file that leaves a font, even Helvetica, to the printer)."""

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from petitions.core.extensions import db
from tests.packets_helpers import add_signer

FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
NAMES = ("Ana", "美玲", "Fatima خان", "Ольга")


def _fonts_in(resources, seen: set[int]):
    """(name, font dict) for every font in these resources and the forms they use."""
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject):
        return
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.idnum in seen:
            continue
        seen.add(xobject.idnum)
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts_in(xobject.get("/Resources"), seen)


def _embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type0":
        descendants = font["/DescendantFonts"].get_object()
        assert isinstance(descendants, ArrayObject)
        return all(_embedded(d.get_object()) for d in descendants)
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs drawn by the file itself
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor.get_object() for k in FONT_FILES)


def unembedded_fonts(pdf: bytes) -> list[str]:
    """BaseFont names of every font that any page uses without embedding it."""
    reader = PdfReader(io.BytesIO(pdf))
    missing, seen, checked = [], set(), 0
    for page in reader.pages:
        for font in _fonts_in(page.get("/Resources"), seen):
            checked += 1
            if not _embedded(font):
                missing.append(str(font.get("/BaseFont")))
    assert checked, "no fonts found: the check would pass vacuously"
    return sorted(set(missing))


def pdffonts_unembedded(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = out.stdout.splitlines()[2:]  # after the header and the dashes
    assert rows, out.stdout
    # Columns: name, type (may contain spaces), encoding, emb, sub, uni, object ID.
    return sorted({row.split()[0] for row in rows if row.split()[-5] != "yes"})


@pytest.fixture
def waitlist_petition(make_petition):
    return make_petition(
        slug="fund-seats", title="Fund a seat — 为每个孩子 — لكل طفل", ask_waitlist=True,
        waitlist_min=1, waitlist_max=20000, waitlist_label="Magnet school waitlist number",
    )  # fmt: skip


def _badge_sheet(runner, tmp_path, petition, make_signature, **_):
    for n, name in enumerate(NAMES, 1):
        make_signature(petition, name, waitlist_number=n)
    out = tmp_path / "badges.pdf"
    result = runner.invoke(args=["badges", petition.slug, "--stock", "avery-5392", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def _single_badge(client, petition, make_signature, **_):
    sig = make_signature(petition, "美玲", waitlist_number=1234)
    r = client.get(f"/p/{petition.slug}/badge/{sig.token}.pdf")
    assert r.status_code == 200
    return r.data


def _packet(runner, tmp_path, petition, **_):
    for name in NAMES:
        add_signer(petition, name, "Rivera", comment=f"{name}: we waited years.", show_name=True)
    db.session.commit()
    out = tmp_path / "packet.pdf"
    result = runner.invoke(args=["packet", petition.slug, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def _poster(client, organizer, petition, make_event, **_):
    event = make_event(petition, name="Marcha por las escuelas — 学校 rally")
    r = client.get(f"/manage/e/{event.slug}/poster.pdf")
    assert r.status_code == 200
    return r.data


def _paper_sheet(client, organizer, petition, **_):
    r = client.get(f"/manage/p/{petition.slug}/paper-sheet.pdf")
    assert r.status_code == 200
    return r.data


@pytest.mark.parametrize(
    "render",
    [_badge_sheet, _single_badge, _packet, _poster, _paper_sheet],
    ids=lambda f: f.__name__[1:],
)
def test_every_font_is_embedded(
    render, client, runner, organizer, make_signature, make_event, waitlist_petition, tmp_path
):
    pdf = render(
        client=client, runner=runner, organizer=organizer, make_signature=make_signature,
        make_event=make_event, petition=waitlist_petition, tmp_path=tmp_path,
    )  # fmt: skip
    assert unembedded_fonts(pdf) == []
    if shutil.which("pdffonts"):
        assert pdffonts_unembedded(pdf, tmp_path) == []
