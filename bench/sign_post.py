"""Sign POST throughput and latency: the full app vs. a minimal Flask + insert handler.

Both run under gunicorn with 2 sync workers, on SQLite and on PostgreSQL, driven by
16 closed-loop clients (bench/loadgen.py). Afterwards the signatures table must hold
exactly the acknowledged signatures. Usage: .venv/bin/python bench/sign_post.py [--quick]
"""

import argparse
import http.client
import json
import re
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, app_env, flask, gunicorn, machine, throwaway_database  # noqa: E402
from bench.loadgen import run_load  # noqa: E402

CONCURRENCY = 16
SEED_PETITION = """
from petitions import create_app
from petitions.extensions import db
from petitions.models import Petition
app = create_app()
with app.app_context():
    db.session.add(Petition(slug="bench", title="Bench", status="published", goal=100000))
    db.session.commit()
"""
COUNT_ROWS = """
from sqlalchemy import func, select
from petitions import create_app
from petitions.extensions import db
from petitions.models import Signature
app = create_app()
with app.app_context():
    print(db.session.scalar(select(func.count(Signature.id))))
"""


def session_for(port: int) -> tuple[str, str]:
    """A session cookie and its CSRF token, as a phone would have after opening the page."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/p/bench")
    resp = conn.getresponse()
    html = resp.read().decode()
    cookie = resp.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return cookie, token


def sign_maker(path: str, cookie: str, token: str, run: str):
    def make(client: int, i: int):
        body = urllib.parse.urlencode(
            {
                "csrf_token": token,
                "given_name": "Load",
                "family_name": f"Tester {client}-{i}",
                "email": f"load-{run}-{client}-{i}@example.org",
                "postal_code": "06106",
                "town": "Hartford",
                "role": "parent",
            }
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = cookie
        return "POST", path, body, headers

    return make


def python(code: str, env: dict) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def bench_app(kind: str, tmp: Path, per_client: int) -> dict:
    with throwaway_database(kind, tmp) as url:
        env = app_env(url, tmp)
        flask(["db", "upgrade"], env)
        python(SEED_PETITION, env)
        with gunicorn("wsgi:app", env) as port:
            cookie, token = session_for(port)
            warm = run_load(
                "127.0.0.1", port, sign_maker("/p/bench/sign", cookie, token, "w"), 4, 25
            )
            result = run_load(
                "127.0.0.1", port, sign_maker("/p/bench/sign", cookie, token, "m"),
                CONCURRENCY, per_client,
            )  # fmt: skip
        stored = int(python(COUNT_ROWS, env))
    out = result.summary()
    out["stored"] = stored
    out["stored_matches_acknowledged"] = stored == warm.acknowledged + result.acknowledged
    return out


def bench_baseline(kind: str, tmp: Path, per_client: int) -> dict:
    with throwaway_database(kind, tmp) as url:
        db = url.replace("sqlite:///", "").replace("postgresql+psycopg://", "postgresql://")
        env = dict(app_env(url, tmp), BASELINE_DB=db)
        subprocess.run([sys.executable, "bench/baseline_apps.py"], cwd=ROOT, env=env, check=True)
        with gunicorn("bench.baseline_apps:app", env) as port:
            run_load("127.0.0.1", port, sign_maker("/sign", "", "x", "w"), 4, 25)
            result = run_load(
                "127.0.0.1", port, sign_maker("/sign", "", "x", "m"), CONCURRENCY, per_client
            )
    return result.summary()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    per_client = 60 if args.quick else 250
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report = {"machine": machine(), "concurrency": CONCURRENCY, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            base = bench_baseline(kind, Path(tmp), per_client)
            full = bench_app(kind, Path(tmp), per_client)
            report["runs"][kind] = {
                "baseline": base,
                "app": full,
                "throughput_ratio": round(full["req_per_s"] / base["req_per_s"], 2),
            }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
