"""Check-in API under load, driven by wrk (bench/wrk/checkin.lua): the app vs. a minimal
Flask handler, same run, same machine.

Both run under gunicorn with 2 sync workers, each on a throwaway database (SQLite by
default). Every request checks in a distinct ticket (tokens read from a file this script
writes) with a fresh nonce, authenticated by an API token (Bearer), rate limiting off. The
baseline (bench/baseline_apps.py POST /checkin) does one indexed lookup and one INSERT: the
floor for this request.

- Saturated: 32 connections, each sending its next scan as soon as the last is answered,
  in rounds alternating between the servers: throughput ratio (median of the rounds').
- At the door: 32 scanners, each waiting --interval seconds after each answer before the
  next scan (the first scans spread over one interval): the p99 a volunteer sees.

With --ab REV the app at git revision REV (exported to a temporary directory, migrated by
its own migrations) runs as a third server beside this working tree's app: the report adds
new/old, the working tree's throughput over REV's.

Afterwards each app's database must hold exactly one "ok" check-in per acknowledged scan.
Usage: .venv/bin/python bench/checkin_api.py [--quick] [--db sqlite|postgres|both]
       [--rounds N] [--interval S] [--ab REV] [--json]
"""

import argparse
import json
import secrets
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    ROOT,
    alternating_rounds,
    count_rows,
    describe,
    exit_on_sigterm,
    export_tree,
    flask,
    gunicorn,
    machine,
    markdown_report,
    median_ratio,
    prepare_app,
    prepare_baseline,
    python,
    run_wrk,
    summarize,
)

CONNECTIONS = 32
# Tickets prepared per second of a saturated run; a run that uses them up before its end
# says so (exhausted) and the script stops: raise this on a faster machine.
TICKETS_PER_SECOND = 4000

# Runs in the app's own tree: an event with n attendees, their clear ticket tokens written
# to a file. Only columns that tree's Attendee has are filled.
SEED_EVENT = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from petitions import create_app
try:  # the tree at --ab REV may be from before the regroup by part (asked first: the
    # venv's editable install would lend an old tree the new package's core/)
    from petitions.extensions import db
except ImportError:
    from petitions.core.extensions import db
from petitions.models import Attendee, Event
try:
    from petitions.services.tokens import new_token, token_hash
except ImportError:
    from petitions.core.tokens import new_token, token_hash
n, out = int(sys.argv[1]), Path(sys.argv[2])
app = create_app()
with app.app_context():
    event = Event(slug="bench-rally", name="Bench rally", status="published",
                  starts_at=datetime.now(UTC).replace(tzinfo=None), signin_key=new_token())
    db.session.add(event)
    db.session.flush()
    tokens = [new_token() for _ in range(n)]
    columns = Attendee.__table__.c
    rows = [
        {k: v for k, v in dict(event_id=event.id, token_hash=token_hash(t), name=f"Guest {i}",
                               email=f"g{i}@example.org", email_key=f"g{i}@example.org").items()
         if k in columns}
        for i, t in enumerate(tokens)
    ]
    db.session.execute(db.insert(Attendee), rows)
    db.session.commit()
out.write_text("\\n".join(tokens) + "\\n")
"""
SCANNER = "scanner@example.org"


class Tickets:
    """A server's prepared ticket tokens, handed out once each, one file per wrk run."""

    def __init__(self, path: Path):
        self.dir, self.tokens, self.used = path.parent, path.read_text().split(), 0

    def file_for(self, tag: str, n: int) -> Path:
        if self.used + n > len(self.tokens):
            raise RuntimeError("not enough tickets prepared")
        path = self.dir / f"tickets-{tag}.txt"
        path.write_text("\n".join(self.tokens[self.used : self.used + n]) + "\n")
        self.used += n
        return path


def seed_app(tree: Path, env: dict, workdir: Path, n: int) -> tuple[Tickets, str]:
    flask(["users", "create", SCANNER, "--role", "volunteer", "--password", "bench-pw-12345"],
          env, tree)  # fmt: skip
    bearer = flask(["api-tokens", "create", SCANNER, "--name", "bench"], env, tree).split()[-1]
    python(SEED_EVENT, env, tree, str(n), str(workdir / "tokens.txt"))
    return Tickets(workdir / "tokens.txt"), bearer


def seed_baseline(url: str, workdir: Path, n: int) -> Tickets:
    tokens = [secrets.token_hex(16) for _ in range(n)]
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sqlalchemy.text("INSERT INTO tickets (token_hash, name) VALUES (:t, :name)"),
            [{"t": t, "name": f"Guest {i}"} for i, t in enumerate(tokens)],
        )
    engine.dispose()
    (workdir / "tokens.txt").write_text("\n".join(tokens) + "\n")
    return Tickets(workdir / "tokens.txt")


def run(kind: str, tmp: Path, apps: dict[str, Path], seconds: int, rounds: int,
        door_seconds: int, interval: float) -> dict:  # fmt: skip
    """Every server up at once, each on its own database; warm-up, saturated rounds, then
    the door run for each; then, with the servers down, stored rows vs. acknowledged."""
    warm = 1
    door = int(CONNECTIONS * (door_seconds / interval + 1))
    need = TICKETS_PER_SECOND * (warm + rounds * seconds) + door
    with ExitStack() as databases:
        workdir = tmp / kind / "baseline"
        env, url = prepare_baseline(kind, workdir, databases)
        servers = {"baseline": (ROOT, "bench.baseline_apps:app", env, url)}
        tickets = {"baseline": seed_baseline(url, workdir, need)}
        load = {"baseline": {"path": "/checkin"}}
        for name, tree in apps.items():
            workdir = tmp / kind / name
            env, url = prepare_app(tree, kind, workdir, databases)
            tickets[name], bearer = seed_app(tree, env, workdir, need)
            servers[name] = (tree, "wsgi:app", env, url)
            load[name] = {"path": "/api/v1/checkins", "bearer": bearer}
        acknowledged, unanswered, errors = ({name: 0 for name in servers} for _ in range(3))
        with ExitStack() as running:
            ports = {
                name: running.enter_context(gunicorn(spec, env, cwd=tree))
                for name, (tree, spec, env, _) in servers.items()
            }

            def one(name: str, tag: str, seconds: int, connections: int, interval: float = 0):
                # Paced: one wrk thread, so connections are accepted in the order they send
                # (bench/wrk/common.lua).
                n = TICKETS_PER_SECOND * seconds if not interval else door
                res = run_wrk(ports[name], "checkin.lua", seconds=seconds, connections=connections,
                              threads=1 if interval else 2, tag=tag, interval=interval,
                              tokens=tickets[name].file_for(tag, n), **load[name])  # fmt: skip
                if res.exhausted:
                    raise RuntimeError(f"{name} used up its tickets: raise TICKETS_PER_SECOND")
                acknowledged[name] += res.acknowledged
                unanswered[name] += res.unanswered
                errors[name] += res.errors
                return res

            for name in servers:
                one(name, "w", warm, 4)
            saturated = alternating_rounds(
                list(servers), rounds, lambda name, r: one(name, f"r{r}", seconds, CONNECTIONS)
            )
            at_door = {
                name: one(name, "door", door_seconds, CONNECTIONS, interval) for name in servers
            }
        stored = {"baseline": count_rows(servers["baseline"][3], BASELINE_OK)}
        checked_in = {name: count_rows(servers[name][3], CHECKED_IN) for name in apps}
        for name in apps:
            stored[name] = count_rows(servers[name][3], APP_OK)
    out = {name: summarize(rs) for name, rs in saturated.items()}
    for name in apps:
        out[name]["vs_baseline"] = median_ratio(saturated[name], saturated["baseline"])
    if "old" in apps:
        out["new"]["vs_old"] = median_ratio(saturated["new"], saturated["old"])
    for name in servers:
        d = at_door[name]
        out[name]["door"] = {"scans": d.requests, "scans_per_s_offered": CONNECTIONS / interval,
                             "p50_ms": round(d.p50_ms, 2), "p99_ms": round(d.p99_ms, 2),
                             "unanswered": d.unanswered, "errors": d.errors}  # fmt: skip
        out[name].update(
            stored=stored[name],
            acknowledged=acknowledged[name],
            unanswered=unanswered[name],
            errors=errors[name],
        )
        if name in checked_in:
            out[name]["checked_in"] = checked_in[name]
    return out


BASELINE_OK = "SELECT count(*) FROM scans WHERE ticket_id IS NOT NULL"
APP_OK = "SELECT count(*) FROM checkins WHERE result = 'ok'"
CHECKED_IN = "SELECT count(*) FROM attendees WHERE checked_in_at IS NOT NULL"


def markdown(report: dict) -> str:
    title = (
        f"Check-in API: wrk; gunicorn, 2 sync workers. Saturated: {CONNECTIONS} connections, "
        f"2 threads, {report['rounds']} rounds × {report['seconds']} s per server, medians over "
        f"rounds. At the door: {CONNECTIONS} scanners, each scanning {report['interval']} s "
        f"after the last answer, one run of {report['door_seconds']} s per server."
    )
    return markdown_report(title, report, {
        "door p50 ms": lambda s: s["door"]["p50_ms"],
        "door p99 ms": lambda s: s["door"]["p99_ms"],
    })  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (3 s / 5 s at the door)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between scans")
    parser.add_argument("--ab", metavar="REV", help="also run the app at git revision REV")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args()
    exit_on_sigterm()
    seconds, door_seconds = (3, 5) if args.quick else (8, 20)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report = {"machine": machine(), "rounds": args.rounds, "seconds": seconds,
              "interval": args.interval, "door_seconds": door_seconds,
              "new": f"working tree {describe()}", "old": None, "runs": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-checkin-") as tmp:
        tmp = Path(tmp)
        apps = {"app": ROOT}
        if args.ab:
            commit = export_tree(args.ab, tmp / "old-tree")
            report["old"] = f"{args.ab} = {commit[:9]}"
            apps = {"old": tmp / "old-tree", "new": ROOT}
        for kind in kinds:
            report["runs"][kind] = run(
                kind, tmp, apps, seconds, args.rounds, door_seconds, args.interval
            )
    print(json.dumps(report, indent=2) if args.json else markdown(report))


if __name__ == "__main__":
    main()
