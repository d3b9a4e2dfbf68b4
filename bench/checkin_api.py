"""Check-in API under load: the full app vs. a minimal Flask handler, same run, same machine.

Both run under gunicorn with 2 sync workers on a SQLite (WAL) file, driven by 32
closed-loop scanners (bench/loadgen.py: keep-alive connections, each sends its next scan as
soon as the last is answered). Every request checks in a distinct ticket with a fresh nonce,
authenticated by an API token (Bearer), rate limiting off (FLASK_RATELIMIT_ENABLED=false).
The baseline (bench/baseline_apps.py POST /checkin) does one indexed lookup and one INSERT
on sqlite3 — the floor for this request.

Afterwards the app's database must hold exactly one "ok" CheckIn row per acknowledged scan.

Usage: .venv/bin/python bench/checkin_api.py [--quick] [--rounds N] [--profile]
"""

import argparse
import http.client
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, app_env, flask, gunicorn, machine  # noqa: E402
from bench.loadgen import run_load  # noqa: E402

CONCURRENCY = 32

SEED = """
import sys
from petitions import create_app
from petitions.api.auth import create_api_token
from petitions.extensions import db
from petitions.models import Attendee, Event
from petitions.models.base import utcnow
from petitions.services.accounts import create_user
from petitions.services.tokens import new_token, token_hash
n = int(sys.argv[1])
app = create_app()
with app.app_context():
    user, _ = create_user("scanner@example.org", "volunteer", "bench-password-123", "Dana")
    event = Event(slug="bench-rally", name="Bench rally", starts_at=utcnow(), status="published",
                  signin_key=new_token())
    db.session.add(event)
    db.session.flush()
    tokens = [new_token() for _ in range(n)]
    db.session.execute(db.insert(Attendee), [
        dict(event_id=event.id, token_hash=token_hash(t), name=f"Guest {i}",
             email=f"g{i}@example.org", email_key=f"g{i}@example.org", phone="", postal_code="",
             walk_up=False, signed_petition=False, revoked=False, created_at=utcnow())
        for i, t in enumerate(tokens)
    ])
    _, bearer = create_api_token(user, "bench")
    db.session.commit()
    print(bearer)
    print("\\n".join(tokens))
"""

COUNT = """
from sqlalchemy import func, select
from petitions import create_app
from petitions.extensions import db
from petitions.models import Attendee, CheckIn
app = create_app()
with app.app_context():
    ok = db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.result == "ok"))
    att = db.session.scalar(select(func.count(Attendee.id)).where(Attendee.checked_in_at.is_not(None)))
    print(ok, att)
"""


def python(code: str, env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


def scan_maker(path: str, tokens: list[str], offset: int, per_client: int, bearer: str = ""):
    def make(client: int, i: int):
        token = tokens[offset + client * per_client + i]
        body = json.dumps({"token": token, "nonce": uuid.uuid4().hex}).encode()
        headers = {"Content-Type": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return "POST", path, body, headers

    return make


def paced_load(port: int, maker, scanners: int, scans: int, interval: float) -> dict:
    """`scanners` volunteers each scanning every `interval` seconds (a brisk line), staggered:
    the latency a volunteer sees at the door, rather than what a saturated server does."""
    lat: list[float] = []
    errors = [0]
    start = time.perf_counter() + 0.2

    def volunteer(c: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(scans):
            due = start + (c / scanners) * interval + i * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            method, path, body, headers = maker(c, i)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                errors[0] += 1
            lat.append((time.perf_counter() - t0) * 1000)
        conn.close()

    threads = [threading.Thread(target=volunteer, args=(c,)) for c in range(scanners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    return {
        "requests": len(lat),
        "errors": errors[0],
        "scans_per_s_offered": round(scanners / interval, 1),
        "p50_ms": round(statistics.median(lat), 2),
        "p99_ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))], 2),
    }


def seed_app(tmp: Path, need: int) -> tuple[dict, str, list[str]]:
    env = app_env(f"sqlite:///{tmp / 'app.sqlite3'}", tmp)
    flask(["db", "upgrade"], env)
    bearer, *tokens = python(SEED, env, str(need)).splitlines()
    return env, bearer, tokens


def seed_baseline(tmp: Path, need: int) -> tuple[dict, list[str]]:
    path = tmp / "baseline.sqlite3"
    env = dict(app_env(f"sqlite:///{path}", tmp), BASELINE_DB=str(path))
    subprocess.run([sys.executable, "bench/baseline_apps.py"], cwd=ROOT, env=env, check=True)
    hashes = [uuid.uuid4().hex + uuid.uuid4().hex for _ in range(need)]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO tickets (token_hash, name) VALUES (?, ?)",
            [(h, f"Guest {i}") for i, h in enumerate(hashes)],
        )
    return env, hashes


def run(tmp: Path, per_client: int, rounds: int, paced_scans: int, interval: float) -> dict:
    """Both servers up side by side; saturation rounds alternate baseline/app so that both
    see the same background noise; then the paced (door-line) run for each."""
    need = 100 + rounds * CONCURRENCY * per_client + CONCURRENCY * paced_scans
    app_env_, bearer, tokens = seed_app(tmp, need)
    base_env, hashes = seed_baseline(tmp, need)
    saturated = {"baseline": [], "app": []}
    with (
        gunicorn("wsgi:app", app_env_) as app_port,
        gunicorn("bench.baseline_apps:app", base_env) as base_port,
    ):
        targets = {
            "baseline": (base_port, "/checkin", hashes, ""),
            "app": (app_port, "/api/v1/checkins", tokens, bearer),
        }
        for port, path, toks, auth in targets.values():
            run_load("127.0.0.1", port, scan_maker(path, toks, 0, 25, auth), 4, 25)
        for r in range(rounds):
            offset = 100 + r * CONCURRENCY * per_client
            for name, (port, path, toks, auth) in targets.items():
                maker = scan_maker(path, toks, offset, per_client, auth)
                res = run_load(
                    "127.0.0.1", port, maker, CONCURRENCY, per_client, ok_statuses=(200,)
                )
                saturated[name].append(res)
        offset = 100 + rounds * CONCURRENCY * per_client
        paced = {}
        for name, (port, path, toks, auth) in targets.items():
            maker = scan_maker(path, toks, offset, paced_scans, auth)
            paced[name] = paced_load(port, maker, CONCURRENCY, paced_scans, interval)
    acknowledged = 100 + sum(r.acknowledged for r in saturated["app"])
    acknowledged += paced["app"]["requests"] - paced["app"]["errors"]
    ok_rows, checked = map(int, python(COUNT, app_env_).split())
    report = {
        "saturated": {name: _combine([r.summary() for r in rs]) for name, rs in saturated.items()},
        "round_ratios": [
            round(a.throughput / b.throughput, 2)
            for a, b in zip(saturated["app"], saturated["baseline"], strict=True)
        ],
        "paced": paced,
        "consistent": ok_rows == checked == acknowledged,
        "ok_rows": ok_rows,
    }
    report["throughput_ratio_median"] = statistics.median(report["round_ratios"])
    return report, app_env_, tokens, bearer


def _combine(results: list[dict]) -> dict:
    """Median round by throughput (the machine is shared and noisy), plus every round."""
    ordered = sorted(results, key=lambda r: r["req_per_s"])
    mid = dict(ordered[len(ordered) // 2])
    mid["rounds_req_per_s"] = [r["req_per_s"] for r in results]
    mid["rounds_p99_ms"] = [r["p99_ms"] for r in results]
    return mid


def _profile(env: dict, tokens: list[str], bearer: str) -> str:
    """Where one request's time goes: cProfile over in-process requests (test client)."""
    code = f"""
import cProfile, io, json, pstats, uuid
from petitions import create_app
app = create_app()
client = app.test_client()
tokens = {json.dumps(tokens)}
h = {{"Authorization": "Bearer {bearer}"}}
pr = cProfile.Profile()
pr.enable()
for t in tokens:
    client.post("/api/v1/checkins", json={{"token": t, "nonce": uuid.uuid4().hex}}, headers=h)
pr.disable()
s = io.StringIO()
pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(25)
print(s.getvalue())
"""
    return python(code, env)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between scans")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    per_client = 40 if args.quick else 120
    paced_scans = 10 if args.quick else 40
    out = {"machine": machine(), "concurrency": CONCURRENCY, "workers": 2, "db": "sqlite"}
    with tempfile.TemporaryDirectory() as tmp:
        report, env, tokens, bearer = run(
            Path(tmp), per_client, args.rounds, paced_scans, args.interval
        )
        out.update(report)
        out["goals"] = {
            "throughput >= 0.5x baseline": out["throughput_ratio_median"] >= 0.5,
            "p99 < 30 ms at 32 scanners (paced)": out["paced"]["app"]["p99_ms"] < 30,
            "p99 < 30 ms at 32 scanners (saturated)": out["saturated"]["app"]["p99_ms"] < 30,
        }
        print(json.dumps(out, indent=2))
        if args.profile:
            print(_profile(env, tokens[-2000:], bearer))


if __name__ == "__main__":
    main()
