"""Organizer side at 100,000 signatures: CSV export, dashboard, search.

    .venv/bin/python bench/manage_export.py [--rows 100000] [--postgres postgresql://postgres@127.0.0.1:5432/test]

The export goes through the whole app (login session, organizer check, export log row,
streamed generator response, formula guard on every cell) and is compared with a bare
baseline measured in the same run: the same columns read with the database driver
(sqlite3 / psycopg) and written with csv.writer, nothing else. The dashboard and search
are timed as whole requests (every query of the page plus rendering). Medians of a few
runs; the machine is noisy. Prints a Markdown table for bench/results/manage.md.
"""

import argparse
import csv
import io
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COLUMNS = (
    "given_name, family_name, email, postal_code, town, role, waitlist_number, comment, "
    "show_name, opt_in, source, sheet_number, created_at, hidden, confirmed_at"
)


def median_time(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def baseline_export(db_url: str, petition_id: int) -> int:
    """Bare driver + csv.writer into a discarding sink; returns bytes written."""
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        cursor = conn.execute(
            f"SELECT {COLUMNS} FROM signatures WHERE petition_id = ? ORDER BY id",  # noqa: S608
            (petition_id,),
        )
    else:
        import psycopg

        conn = psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"))
        cursor = conn.cursor(name="bench")  # server-side, like yield_per
        cursor.execute(
            f"SELECT {COLUMNS} FROM signatures WHERE petition_id = %s ORDER BY id",  # noqa: S608
            (petition_id,),
        )
    buf = io.StringIO()
    writer = csv.writer(buf)
    size = 0
    while rows := cursor.fetchmany(2000):
        for row in rows:
            buf.seek(0)
            buf.truncate()
            writer.writerow(row)
            size += len(buf.getvalue())
    conn.close()
    return size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="server URL; a throwaway database is created")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from petitions import create_app
    from petitions.accounts.services import create_user
    from petitions.core.config import normalize_database_url
    from petitions.core.extensions import db
    from petitions.operations.demo import ensure_demo_petition, load_demo

    tmp = Path(tempfile.mkdtemp(prefix="bench-manage-"))
    pg_name = None
    if args.postgres:
        import psycopg

        pg_name = f"bench_manage_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        db_url = normalize_database_url(args.postgres).rsplit("/", 1)[0] + f"/{pg_name}"
    else:
        db_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["PETITIONS_INSTANCE"] = str(tmp)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": db_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
        }
    )
    try:
        with app.app_context():
            upgrade()
            t0 = time.perf_counter()
            load_demo(signatures=args.rows)
            seed = time.perf_counter() - t0
            petition_id = ensure_demo_petition().id
            create_user("bench@example.org", "organizer", "bench-password-123")
            db.session.commit()
            db.session.remove()

        client = app.test_client()
        r = client.post(
            "/auth/login", data={"email": "bench@example.org", "password": "bench-password-123"}
        )
        assert r.status_code == 302, r.status_code

        def app_export():
            r = client.get("/manage/p/demo/signatures.csv", buffered=False)
            assert r.status_code == 200
            size = sum(len(chunk) for chunk in r.response)
            r.close()
            return size

        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t_app, app_bytes = median_time(app_export, args.repeat)
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with app.app_context():
            t_base, base_bytes = median_time(
                lambda: baseline_export(db_url, petition_id), args.repeat
            )

        def page(url):
            def get():
                r = client.get(url)
                assert r.status_code == 200, (url, r.status_code)
                return len(r.data)

            return get

        t_dash, _ = median_time(page("/manage/p/demo"), 5)
        t_search, _ = median_time(page("/manage/p/demo?q=rivera+hartford"), 5)
        t_page, _ = median_time(page("/manage/p/demo?page=1500"), 5)
        t_index, _ = median_time(page("/manage/"), 5)

        kind = "PostgreSQL" if args.postgres else "SQLite (WAL)"
        cpus = os.cpu_count()
        print(f"## {kind}, {args.rows:,} signatures, {cpus} cores\n")
        print(f"seeded in {seed:.1f} s\n")
        print("| measurement | time | notes |")
        print("|---|---|---|")
        print(
            f"| CSV export, full app | {t_app:.2f} s ({args.rows / t_app:,.0f} rows/s) | "
            f"{app_bytes / 1e6:.1f} MB streamed; peak RSS grew {max(0, rss1 - rss0) / 1024:.0f} MB |"
        )
        print(
            f"| CSV export, bare driver + csv.writer | {t_base:.2f} s ({args.rows / t_base:,.0f} rows/s) | "
            f"{base_bytes / 1e6:.1f} MB |"
        )
        print(f"| ratio app / baseline | {t_app / t_base:.2f}× | |")
        print(
            f"| dashboard page | {t_dash * 1000:.0f} ms | counts, chart, towns, roles, 50 latest |"
        )
        print(f"| search “rivera hartford” | {t_search * 1000:.0f} ms | whole page |")
        print(f"| page 1,500 of the list | {t_page * 1000:.0f} ms | deep OFFSET |")
        print(f"| /manage/ index | {t_index * 1000:.0f} ms | |")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if pg_name:
            import psycopg

            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
