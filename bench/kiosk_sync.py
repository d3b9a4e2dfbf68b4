"""A kiosk's sync of 200 queued entries against a rally of 5,000 attendees (issue 22: under
2 s on these 2 cores), over HTTP against gunicorn (2 sync workers), timed per request.

Each round sends, as one logged-in volunteer:
- walk-ups: 200 new people (half of them tick "also sign"), the batch a phone queues;
- check-ins: 200 entries matching RSVPs by email;
- replay: the walk-ups' batch again (nothing new is stored).
Baseline in the same run: the same 200 new people through the poster's sign-in form, one
POST each over one keep-alive connection (what they would have sent from their own
phones, back to back, with the same rules behind it).

Afterwards the database must hold exactly one attendee per person sent.
Usage: .venv/bin/python bench/kiosk_sync.py [--db sqlite|postgres] [--rounds N]
       [--attendees N] [--entries N] [--json]
"""

import argparse
import http.client
import http.cookiejar
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    ROOT,
    count_rows,
    describe,
    exit_on_sigterm,
    flask,
    gunicorn,
    machine,
    prepare_app,
    python,
)

SEED = """
import sys
from datetime import timedelta
from petitions import create_app
from petitions.core.extensions import db
from petitions.core.tokens import new_token, token_hash
from petitions.models import Attendee, Event, Petition
from petitions.models.base import utcnow
from petitions.rallies.events import new_signin_key
n = int(sys.argv[1])
app = create_app()
with app.app_context():
    petition = Petition(slug="bench-petition", title="Bench petition", summary="", body="",
                        addressed_to="Board", goal=1000, status="published")
    db.session.add(petition)
    db.session.flush()
    event = Event(slug="bench-rally", name="Bench rally", status="published",
                  starts_at=utcnow() - timedelta(minutes=30), ends_at=utcnow() + timedelta(hours=3),
                  petition_id=petition.id, signin_key=new_signin_key())
    db.session.add(event)
    db.session.flush()
    rows = [dict(event_id=event.id, token_hash=token_hash(new_token()), name=f"Guest {i}",
                 email=f"g{i}@example.org", email_key=f"g{i}@example.org", postal_code="06106",
                 created_at=utcnow())
            for i in range(n)]
    db.session.execute(db.insert(Attendee), rows)
    db.session.commit()
    print(event.signin_key)
"""
VOLUNTEER, PASSWORD = "kiosk-bench@example.org", "bench-pw-12345"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Session:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as r:
            return r.read().decode()

    def post(self, path: str, data: bytes, headers: dict) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.opener.open(request, timeout=120) as r:
            return r.status, r.read()


def person(tag: str, i: int, sign: bool) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "given_name": f"Walk{tag}",
        "family_name": f"Up{i}",
        "email": f"w{tag}-{i}@example.org",
        "postal_code": "06106",
        "phone": "860-555-0123",
        "language": "es" if i % 4 == 0 else "en",
        "sign": sign,
    }


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run(kind: str, rounds: int, attendees: int, entries: int) -> dict:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env, url = prepare_app(ROOT, kind, tmp / "app", stack)
        env["FLASK_SESSION_COOKIE_SECURE"] = "false"  # plain http on 127.0.0.1
        flask(["users", "create", VOLUNTEER, "--role", "volunteer", "--password", PASSWORD], env)
        signin_key = python(SEED, env, ROOT, str(attendees)).split()[-1]
        port = stack.enter_context(gunicorn("wsgi:app", env))
        base = f"http://127.0.0.1:{port}"
        s = Session(base)
        token = CSRF_RE.search(s.get("/auth/login")).group(1)
        form = {"email": VOLUNTEER, "password": PASSWORD, "csrf_token": token}
        s.post("/auth/login", urllib.parse.urlencode(form).encode(), {})
        page = s.get("/manage/e/bench-rally/kiosk")
        csrf = page.split('data-csrf="', 1)[1].split('"', 1)[0]
        sync_path = "/manage/e/bench-rally/kiosk/sync.json"
        headers = {"Content-Type": "application/json", "X-CSRFToken": csrf}
        times = {"walk_ups": [], "check_ins": [], "replay": [], "poster_baseline": []}
        sent = 0

        def sync(batch, expect_status):
            status, body = s.post(
                sync_path, json.dumps({"device": "bench", "entries": batch}).encode(), headers
            )
            counts = json.loads(body)["counts"]
            assert status == 200 and counts[expect_status] == len(batch), counts

        poster = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        poster_path = f"/e/bench-rally/here/{signin_key}"

        def poster_run(people):
            for p in people:
                fields = {k: p[k] for k in ("given_name", "family_name", "email", "postal_code")}
                body = urllib.parse.urlencode(fields)
                poster.request("POST", poster_path, body, {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Sec-Fetch-Site": "same-origin",
                })  # fmt: skip
                r = poster.getresponse()
                r.read()
                assert r.status in (200, 302, 303), r.status

        for n in range(rounds + 1):  # round 0 warms up
            walk = [person(f"{n}k", i, sign=i % 2 == 0) for i in range(entries)]
            rsvps = [
                dict(person(f"{n}r", i, sign=False), email=f"g{n * entries + i}@example.org")
                for i in range(entries)
            ]
            base_people = [person(f"{n}p", i, sign=False) for i in range(entries)]
            t_walk = timed(sync, walk, "stored")
            t_rsvp = timed(sync, rsvps, "stored")
            t_replay = timed(sync, walk, "replayed")
            t_poster = timed(poster_run, base_people)
            sent += 2 * entries  # walk-ups at the kiosk, people at the poster
            if n:
                times["walk_ups"].append(t_walk)
                times["check_ins"].append(t_rsvp)
                times["replay"].append(t_replay)
                times["poster_baseline"].append(t_poster)
        poster.close()
        # Seeded attendees, plus per round (warm-up included) the kiosk's walk-ups and the
        # poster's; the RSVPs' check-ins add none.
        stored = count_rows(url, "SELECT count(*) FROM attendees")
        expected = attendees + sent
        kiosk = count_rows(url, "SELECT count(*) FROM kiosk_entries")
    return {
        "kind": kind,
        "times": times,
        "rows_ok": f"{stored} attendees (expected {expected}), {kiosk} kiosk entries "
        f"(expected {(rounds + 1) * 2 * entries})",
    }


def main():
    exit_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--attendees", type=int, default=5000)
    ap.add_argument("--entries", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = run(args.db, args.rounds, args.attendees, args.entries)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"kiosk sync, {args.db}, {machine()}, commit {describe()}")
    print(f"rally of {args.attendees:,} attendees; batches of {args.entries} entries; "
          f"{args.rounds} rounds (after one warm-up)")  # fmt: skip
    for name, values in result["times"].items():
        print(
            f"  {name:16} median {statistics.median(values):.3f} s  "
            f"min {min(values):.3f}  max {max(values):.3f}"
        )
    med = {k: statistics.median(v) for k, v in result["times"].items()}
    print(f"  kiosk walk-ups / poster one by one: {med['walk_ups'] / med['poster_baseline']:.2f}×")
    print(f"  attendees stored = sent: {result['rows_ok']}")


if __name__ == "__main__":
    main()
