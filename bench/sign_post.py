"""Sign POST throughput and latency: the full app vs. a minimal Flask + insert handler.

A third server, the stack floor, puts the same insert behind a Flask-WTF form with the sign
form's fields and its session CSRF check (bench/baseline_apps.py): what the project's stack
costs before any of the app's own work. All three run at once under gunicorn with 2 sync
workers, on SQLite and on PostgreSQL, driven by 16 closed-loop clients (bench/loadgen.py)
in rounds that alternate between them; a ratio is the median of the rounds' ratios.
Afterwards the signatures table must hold exactly the acknowledged signatures.
Usage: .venv/bin/python bench/sign_post.py [--quick] [--db sqlite|postgres|both] [--rounds N]
"""

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from contextlib import ExitStack
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


def session_for(port: int, page: str) -> tuple[str, str]:
    """A session cookie and its CSRF token, as a phone would have after opening the page."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", page)
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


def run(kind: str, tmp: Path, per_client: int, rounds: int) -> dict:
    """Both servers up side by side; rounds alternate baseline/app so that both see the
    same background noise (this machine's speed varies); the median round is reported."""
    with ExitStack() as databases:
        url = databases.enter_context(throwaway_database(kind, tmp / "app"))
        env = app_env(url, tmp / "app")
        flask(["db", "upgrade"], env)
        python(SEED_PETITION, env)
        base_url = databases.enter_context(throwaway_database(kind, tmp / "baseline"))
        db = base_url.replace("sqlite:///", "").replace("postgresql+psycopg://", "postgresql://")
        base_env = dict(app_env(base_url, tmp / "baseline"), BASELINE_DB=db)
        subprocess.run(
            [sys.executable, "bench/baseline_apps.py"], cwd=ROOT, env=base_env, check=True
        )
        with (
            gunicorn("wsgi:app", env) as app_port,
            gunicorn("bench.baseline_apps:app", base_env) as base_port,
        ):
            app_session = session_for(app_port, "/p/bench")
            floor_session = session_for(base_port, "/form")
            targets = {
                "baseline": (base_port, lambda tag: sign_maker("/sign", "", "x", tag)),
                "floor": (base_port, lambda tag: sign_maker("/form/sign", *floor_session, tag)),
                "app": (app_port, lambda tag: sign_maker("/p/bench/sign", *app_session, tag)),
            }
            warm = {
                name: run_load("127.0.0.1", port, maker("w"), 4, 25)
                for name, (port, maker) in targets.items()
            }
            results: dict[str, list] = {name: [] for name in targets}
            for r in range(rounds):
                for name, (port, maker) in targets.items():
                    results[name].append(
                        run_load("127.0.0.1", port, maker(f"r{r}"), CONCURRENCY, per_client)
                    )
        # Every request has been answered and both servers are down: count what was stored.
        stored = int(python(COUNT_ROWS, env))
    acknowledged = warm["app"].acknowledged + sum(res.acknowledged for res in results["app"])
    out = {name: _median_round(rs) for name, rs in results.items()}
    for a, b in [("app", "baseline"), ("floor", "baseline"), ("app", "floor")]:
        ratios = [
            round(x.throughput / y.throughput, 2)
            for x, y in zip(results[a], results[b], strict=True)
        ]
        out[f"{a}_vs_{b}"] = {"median": statistics.median(ratios), "rounds": ratios}
    out["stored"], out["acknowledged"] = stored, acknowledged
    out["stored_matches_acknowledged"] = stored == acknowledged
    return out


def _median_round(results: list) -> dict:
    ordered = sorted(results, key=lambda r: r.throughput)
    mid = ordered[len(ordered) // 2].summary()
    mid["rounds_req_per_s"] = [round(r.throughput, 1) for r in results]
    mid["rounds_p99_ms"] = [round(r.pct(99), 1) for r in results]
    return mid


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    per_client = 25 if args.quick else 60
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report = {"machine": machine(), "concurrency": CONCURRENCY, "runs": {}}
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "app").mkdir()
            (Path(tmp) / "baseline").mkdir()
            report["runs"][kind] = run(kind, Path(tmp), per_client, args.rounds)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
