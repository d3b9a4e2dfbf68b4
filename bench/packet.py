"""Benchmark: a 100,000-signature delivery packet vs. bare reportlab text objects.

    .venv/bin/python bench/packet.py [--signatures N] [--rounds R]

Seeds a temporary SQLite database with N demo signatures (services.demo bulk insert),
then, in fresh subprocesses, alternately:
  * baseline: the floor. The same rows (number, name, town, date) already in memory,
    drawn on a bare reportlab canvas with one text object per column per page, one
    `textLine` a cell, in the same embedded DejaVu Sans TTF, page size, compression,
    column positions and rows per page as the packet's signature list;
  * packet:   the real packet (`generate_packet`, everyone who signed): rows streamed
    from the database, summary queries, chart, stories, header/footer, outline.
Reports the best time of each, the ratio, pages per second and peak RSS of each process.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _app(db_path: str):
    from petitions import create_app

    return create_app(
        {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"}
    )


def seed(db_path: str, n: int) -> None:
    from flask_migrate import upgrade

    from petitions.core.extensions import db
    from petitions.operations.demo import add_fake_signatures, ensure_demo_petition

    app = _app(db_path)
    with app.app_context():
        upgrade()
        petition = ensure_demo_petition()
        add_fake_signatures(petition, n)
        db.session.commit()


def child_packet(db_path: str, out: str) -> dict:
    from sqlalchemy import select

    from petitions.core.extensions import db
    from petitions.core.pdf import fonts
    from petitions.models import Petition
    from petitions.packets.build import PacketRequest, generate_packet

    app = _app(db_path)
    with app.app_context():
        fonts.register_fonts()  # once per process, as in the app; not part of the timing
        petition = db.session.scalar(select(Petition).where(Petition.slug == "demo"))
        start = time.perf_counter()
        with open(out, "wb") as f:
            gen = generate_packet(petition, PacketRequest(scope="everyone"), f)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "pages": gen.result.pages, "rows": gen.result.rows,
            "bytes": os.path.getsize(out), "peak_mb": peak}  # fmt: skip


def child_baseline(db_path: str, out: str) -> dict:
    import sqlite3

    from reportlab.pdfgen.canvas import Canvas

    from petitions.core.pdf import fonts
    from petitions.packets.pdf import MARGIN, PAPER, ROW_H, ROW_SIZE, PacketDocument, _Layout

    fonts.register_fonts()
    lay = _Layout(PacketDocument("", "", "", []))  # the signature list's geometry
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT given_name, family_name, town, created_at FROM signatures "
        "ORDER BY lower(town), lower(family_name), lower(given_name), id"
    ).fetchall()
    conn.close()
    rows = [(str(i), f"{f}, {g}", t or "", c[:10]) for i, (g, f, t, c) in enumerate(rows, 1)]
    columns = [0, lay.col_name, lay.col_town, lay.col_date]  # numbers left-aligned
    start = time.perf_counter()
    c = Canvas(out, pagesize=PAPER["letter"], pageCompression=1, initialFontName=fonts.REGULAR)
    pages = 0
    for first in range(0, len(rows), lay.rows_per_page):
        texts = []
        for x in columns:
            t = c.beginText(MARGIN + x, lay.list_top - ROW_H + 3)
            t.setFont(fonts.REGULAR, ROW_SIZE, ROW_H)
            texts.append(t)
        for row in rows[first : first + lay.rows_per_page]:
            for t, cell in zip(texts, row, strict=True):
                t.textLine(cell)
        for t in texts:
            c.drawText(t)
        c.showPage()
        pages += 1
    c.save()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "pages": pages, "rows": len(rows), "bytes": os.path.getsize(out),
            "peak_mb": peak, "rows_per_page": lay.rows_per_page}  # fmt: skip


def run_child(kind: str, db_path: str, out: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--db", db_path, "--out", out],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signatures", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child")
    parser.add_argument("--db")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        fn = child_packet if args.child == "packet" else child_baseline
        print(json.dumps(fn(args.db, args.out)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        db_path = str(Path(tmp) / "bench.sqlite3")
        os.environ["PETITIONS_INSTANCE"] = tmp
        t0 = time.perf_counter()
        seed(db_path, args.signatures)
        print(f"seeded {args.signatures:,} signatures in {time.perf_counter() - t0:.1f} s")
        base, packet = [], []
        for r in range(args.rounds):  # alternate, so machine noise hits both alike
            base.append(run_child("baseline", db_path, str(Path(tmp) / "base.pdf")))
            packet.append(run_child("packet", db_path, str(Path(tmp) / "packet.pdf")))
            print(f"round {r + 1}: baseline {base[-1]['seconds']:.2f} s, "
                  f"packet {packet[-1]['seconds']:.2f} s")  # fmt: skip
        b = min(base, key=lambda x: x["seconds"])
        p = min(packet, key=lambda x: x["seconds"])
        ratio = p["seconds"] / b["seconds"]
        print(
            f"\nbaseline (bare canvas, text objects per column and page, rows in memory): "
            f"{b['seconds']:.2f} s, {b['pages']:,} pages ({b['rows_per_page']} rows a page), "
            f"{b['pages'] / b['seconds']:.0f} pages/s, {b['bytes'] / 1e6:.1f} MB PDF, "
            f"peak RSS {max(x['peak_mb'] for x in base):.0f} MB"
        )
        print(
            f"packet (streamed from SQLite, full packet): {p['seconds']:.2f} s, "
            f"{p['pages']:,} pages, {p['pages'] / p['seconds']:.0f} pages/s, "
            f"{p['bytes'] / 1e6:.1f} MB PDF, peak RSS {max(x['peak_mb'] for x in packet):.0f} MB"
        )
        print(f"ratio packet / baseline: {ratio:.2f}; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
