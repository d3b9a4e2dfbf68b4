"""Factories and PDF reading for the packets/officials tests."""

import re
import subprocess
from datetime import datetime, timedelta

from pypdf import PdfReader

from petitions.core.extensions import db
from petitions.models.official import Official
from petitions.packets import officials as officials_service
from tests.factories import make_signature

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def add_official(name, towns=(), zips=(), **fields):
    official = Official(name=name, **fields)
    officials_service.set_areas(official, officials_service.parse_areas(list(towns), list(zips)))
    db.session.add(official)
    db.session.commit()
    return official


def add_signer(petition, given, family, postal="06106", town="Hartford", *, days_ago=1, **extra):
    """A signature dated `days_ago` before 2026-03-20 15:00, added to the session uncommitted."""
    when = datetime(2026, 3, 20, 15, 0) - timedelta(days=days_ago)
    return make_signature(
        petition,
        given,
        family,
        commit=False,
        postal_code=postal,
        town=town,
        created_at=when,
        **extra,
    )


def pdf_text_pages(path) -> list[str]:
    """poppler's pdftotext, one string per page."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True).stdout.decode()  # fmt: skip
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def outline_titles(path) -> list[str]:
    reader = PdfReader(str(path))
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles
