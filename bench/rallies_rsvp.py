"""Rallies: RSVP requests and poster rendering, each against a baseline measured in the same run.

1. RSVP POST /e/<slug> through the whole app (form validation, capacity check, attendee
   insert, ticket token, ticket mail with its QR PNG written to the outbox, redirect),
   in-process through Flask's test client on a fresh SQLite file — vs. a minimal Flask
   handler doing one sqlite3 INSERT of the same fields. Sequential requests: this measures
   the work per request, not concurrency (see bench/sign_post.py for gunicorn load).
2. The sign-in poster (petitions.rallies.poster, Letter) — vs. bare reportlab drawing the same
   lines in Helvetica plus the same QR code.

Usage: .venv/bin/python bench/rallies_rsvp.py [--quick]
"""

import argparse
import io
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def timed(fn, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return time.perf_counter() - start


def bench_rsvp(n: int, tmp: Path) -> tuple[float, float]:
    from flask import Flask, request
    from flask_migrate import upgrade

    from petitions import create_app
    from petitions.core.extensions import db
    from petitions.models import Event
    from petitions.models.base import utcnow
    from petitions.rallies.events import new_signin_key

    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'app.sqlite3'}",
            "SERVER_NAME": "localhost",
            "OUTBOX_DIR": str(tmp / "outbox"),
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        db.session.add(
            Event(
                slug="bench",
                name="Bench rally",
                starts_at=utcnow() + timedelta(days=3),
                place="Legislative Office Building",
                address="300 Capitol Ave, Hartford, CT 06106",
                status="published",
                signin_key=new_signin_key(),
            )
        )
        db.session.commit()
    client = app.test_client()

    def rsvp_form(i):
        return {
            "given_name": "Ana",
            "family_name": f"Rivera {i}",
            "email": f"ana{i}@example.org",
            "postal_code": "06106",
            "phone": "860-555-0123",
        }

    def full(i):
        r = client.post("/e/bench", data=rsvp_form(i))
        assert r.status_code == 302, r.status_code

    base_db = tmp / "base.sqlite3"
    with sqlite3.connect(base_db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE attendees (id INTEGER PRIMARY KEY, event_id INT, name TEXT, "
            "email TEXT UNIQUE, postal_code TEXT, phone TEXT)"
        )
    base = Flask("baseline")

    @base.post("/e/<slug>")
    def rsvp(slug):
        f = request.form
        with sqlite3.connect(base_db) as conn:
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "INSERT INTO attendees (event_id, name, email, postal_code, phone) "
                "VALUES (1, ?, ?, ?, ?)",
                (f"{f['given_name']} {f['family_name']}", f["email"], f["postal_code"], f["phone"]),
            )
        return "", 302, {"Location": "/t/x"}

    base_client = base.test_client()

    def minimal(i):
        r = base_client.post("/e/bench", data=rsvp_form(i))
        assert r.status_code == 302

    full(-1), minimal(-1)  # warm up
    return timed(full, n), timed(minimal, n)


def bench_poster(n: int) -> tuple[float, float]:
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen.canvas import Canvas

    from petitions.core import qr
    from petitions.rallies.poster import PosterData, render_poster

    url = "https://act.example.org/e/demo-rally/here/7K3M9QXZ"
    data = PosterData(
        event_name="Rally: a seat for every child",
        signin_url=url,
        short_url=url.split("://")[1],
        when=["Saturday, March 14, 2026 · 11:00 AM – 1:00 PM (EDT)", "sábado, 14 de marzo"],
        where=["Legislative Office Building, 300 Capitol Ave, Hartford, CT 06106"],
        petition_title="Fund a seat",
    )

    def full(_):
        render_poster(data, io.BytesIO(), "letter")

    def bare(_):
        c = Canvas(io.BytesIO(), pagesize=LETTER, pageCompression=1)
        y = 750
        for line in ["Sign in here", "Regístrese aquí", data.event_name, *data.when, *data.where]:
            c.setFont("Helvetica", 14)
            c.drawCentredString(306, y, line)
            y -= 20
        qr.draw(c, url, 66, 150, 480)
        c.drawCentredString(306, 100, data.short_url)
        c.showPage()
        c.save()

    full(0), bare(0)  # warm up (font registration, QR matrix cache)
    return timed(full, n), timed(bare, n)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_rsvp, n_poster = (100, 20) if args.quick else (500, 100)
    with tempfile.TemporaryDirectory() as d:
        full, base = bench_rsvp(n_rsvp, Path(d))
    p_full, p_bare = bench_poster(n_poster)
    print(f"machine: {machine()}")
    print(
        f"RSVP POST, {n_rsvp} sequential: app {n_rsvp / full:.0f} req/s "
        f"({full / n_rsvp * 1000:.1f} ms each) vs minimal Flask+sqlite3 insert "
        f"{n_rsvp / base:.0f} req/s ({base / n_rsvp * 1000:.2f} ms each); ratio {full / base:.1f}x"
    )
    print(
        f"Poster (Letter), {n_poster} renders: {p_full / n_poster * 1000:.1f} ms each vs bare "
        f"reportlab {p_bare / n_poster * 1000:.1f} ms each; ratio {p_full / p_bare:.1f}x"
    )


if __name__ == "__main__":
    main()
