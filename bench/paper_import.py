"""Benchmark: CSV import of signatures (check + import) vs. a bare CSV → INSERT baseline.

Run: .venv/bin/python bench/paper_import.py [--rows 20000] [--runs 3]

On a fresh SQLite file (built by the migrations) holding a petition with --existing
signatures already, each run times, in the same process:
- baseline: csv.reader over the same bytes and one executemany INSERT of the rows as they
  are (no checking, no dedupe), then rolled back;
- check: services.imports.analyse (decode, header mapping, per-row checks, dedupe against
  the database and the file) — the dry run;
- import: analyse again (the import re-checks) + import_rows, then rolled back.
Results go to bench/results/paper.md (ratio, absolute numbers, machine).
"""

import argparse
import csv
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GIVEN = ["Ana", "Luis", "María José", "Keisha", "Darnell", "Priya", "Wei", "Fatima", "Omar"]
FAMILY = ["Rivera", "Johnson", "Santiago", "Nguyen", "Colón", "Pérez", "Chen", "O'Brien"]
TOWNS = [("Hartford", "06106"), ("West Hartford", "06107"), ("Bloomfield", "06002")]


def make_csv(rows: int) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["first_name", "last_name", "email", "zip_code", "town", "role", "comment",
                "opt_in", "created_at"])  # fmt: skip
    for i in range(rows):
        town, zip_code = TOWNS[i % len(TOWNS)]
        # Every fifth signer left the email blank (paper): a distinct name then.
        family = FAMILY[i % len(FAMILY)] + ("" if i % 5 else f"-{i}")
        w.writerow([GIVEN[i % len(GIVEN)], family,
                    f"person{i}@example.net" if i % 5 else "", zip_code, town,
                    ("parent", "student", "educator", "")[i % 4],
                    "My daughter has waited two years." if i % 7 == 0 else "",
                    "true" if i % 2 else "false", f"2024-05-{1 + i % 28:02d} 10:{i % 60:02d}"])  # fmt: skip
    return ("\ufeff" + buf.getvalue()).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--existing", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp()
    os.environ["PETITIONS_INSTANCE"] = tmp
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from petitions import create_app
    from petitions.core.extensions import db
    from petitions.core.text import name_key
    from petitions.core.tokens import new_token
    from petitions.models import Signature
    from petitions.operations.demo import add_fake_signatures, ensure_demo_petition
    from petitions.paper import imports

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite3"})
    data = make_csv(args.rows)
    times = {"baseline": [], "check": [], "import": []}
    with app.app_context():
        upgrade()
        petition = ensure_demo_petition()
        add_fake_signatures(petition, args.existing)
        db.session.commit()
        for _ in range(args.runs):
            t0 = time.perf_counter()
            reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
            next(reader)
            rows = [
                dict(petition_id=petition.id, given_name=r[0], family_name=r[1], email=r[2],
                     email_key=r[2].lower() or f"x{n}", name_key=name_key(r[0], r[1]),
                     postal_code=r[3], town=r[4], role=r[5], comment=r[6], opt_in=r[7] == "true",
                     source="import", token=new_token())
                for n, r in enumerate(reader)
            ]  # fmt: skip
            for start in range(0, len(rows), 2000):
                db.session.execute(insert(Signature), rows[start : start + 2000])
            db.session.flush()
            times["baseline"].append(time.perf_counter() - t0)
            db.session.rollback()

            t0 = time.perf_counter()
            report = imports.analyse(petition, data)
            times["check"].append(time.perf_counter() - t0)
            assert report.accepted == args.rows, report.summary()
            db.session.rollback()

            t0 = time.perf_counter()
            report = imports.analyse(petition, data)
            imports.import_rows(petition, report)
            db.session.flush()
            times["import"].append(time.perf_counter() - t0)
            db.session.rollback()

    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        "# Paper: CSV import benchmark",
        "",
        f"`.venv/bin/python bench/paper_import.py --rows {args.rows} --existing {args.existing} "
        f"--runs {args.runs}`; SQLite (WAL) file; median of {args.runs} runs; machine: "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()} "
        "(shared with other work, so absolute numbers are noisy; the ratio is the number to read).",
        "",
        "| step | seconds | rows/s | × baseline |",
        "|---|---:|---:|---:|",
    ]
    for k, label in (("baseline", "baseline: csv.reader + executemany INSERT, no checks"),
                     ("check", "check (dry run): decode, map headers, check rows, dedupe"),
                     ("import", "import: re-check + INSERT in one transaction")):  # fmt: skip
        lines.append(
            f"| {label} | {med[k]:.2f} | {args.rows / med[k]:,.0f} | {med[k] / med['baseline']:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results" / "paper.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
