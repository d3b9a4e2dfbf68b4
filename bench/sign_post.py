"""Sign POST throughput and latency under load, driven by wrk (bench/wrk/sign.lua).

The app and a minimal Flask + INSERT handler (bench/baseline_apps.py) run side by side under
gunicorn with 2 sync workers, each on a throwaway database, SQLite and/or PostgreSQL. wrk
drives each in turn with 16 connections (2 threads), every request a distinct signer with
the session cookie and CSRF token from one GET of the petition page; the servers take turns
in rounds, and a ratio is the median of the rounds' ratios.

With --ab REV the app at git revision REV (exported to a temporary directory, migrated by
its own migrations) runs as a third server beside this working tree's app: the report adds
new/old, the working tree's throughput over REV's.

Afterwards each database must hold exactly the acknowledged (2xx/3xx) signatures.
Usage: .venv/bin/python bench/sign_post.py [--quick] [--db sqlite|postgres|both] [--rounds N]
       [--ab REV] [--json]
"""

import argparse
import http.client
import json
import re
import sys
import tempfile
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    ROOT,
    alternating_rounds,
    count_rows,
    describe,
    exit_on_sigterm,
    export_tree,
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

CONNECTIONS = 16
SEED_PETITION = """
from petitions import create_app
try:  # the tree at --ab REV may be from before the regroup by part (asked first: the
    # venv's editable install would lend an old tree the new package's core/)
    from petitions.extensions import db
except ImportError:
    from petitions.core.extensions import db
from petitions.models import Petition
app = create_app()
with app.app_context():
    db.session.add(Petition(slug="bench", title="Bench", status="published", goal=100000))
    db.session.commit()
"""
# The signer's fixed fields; sign.lua adds a distinct family_name and email to each request.
SIGNER = {"given_name": "Load", "postal_code": "06106", "town": "Hartford", "role": "parent"}


def session_for(port: int, page: str) -> tuple[str, str]:
    """The session cookie and CSRF token a phone has after opening the page (either may be
    missing in a version that needs none; then it is empty)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    try:
        conn.request("GET", page)
        resp = conn.getresponse()
        html = resp.read().decode()
    finally:
        conn.close()
    if resp.status != 200:
        raise RuntimeError(f"GET {page}: {resp.status}")
    cookie = (resp.getheader("Set-Cookie") or "").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return cookie, token.group(1) if token else ""


def run(kind: str, tmp: Path, apps: dict[str, Path], seconds: int, rounds: int) -> dict:
    """Every server up at once, each on its own database; warm-up, then alternating rounds;
    then, with the servers down, the rows stored are compared with what was acknowledged."""
    with ExitStack() as databases:
        env, url = prepare_baseline(kind, tmp / kind / "baseline", databases)
        servers = {"baseline": (ROOT, "bench.baseline_apps:app", env, url, "sigs")}
        for name, tree in apps.items():
            env, url = prepare_app(tree, kind, tmp / kind / name, databases)
            python(SEED_PETITION, env, tree)
            servers[name] = (tree, "wsgi:app", env, url, "signatures")
        acknowledged, unanswered, errors = ({name: 0 for name in servers} for _ in range(3))
        with ExitStack() as running:
            ports, load = {}, {}
            for name, (tree, spec, env, _, _) in servers.items():
                ports[name] = running.enter_context(gunicorn(spec, env, cwd=tree))
                if name == "baseline":
                    load[name] = {"path": "/sign", "body": urllib.parse.urlencode(SIGNER)}
                else:
                    cookie, token = session_for(ports[name], "/p/bench")
                    fields = {"csrf_token": token, **SIGNER} if token else SIGNER
                    body = urllib.parse.urlencode(fields)
                    load[name] = {"path": "/p/bench/sign", "body": body, "cookie": cookie}

            def one(name: str, tag: str, seconds: int, connections: int):
                res = run_wrk(ports[name], "sign.lua", seconds=seconds, connections=connections,
                              tag=tag, **load[name])  # fmt: skip
                acknowledged[name] += res.acknowledged
                unanswered[name] += res.unanswered
                errors[name] += res.errors
                return res

            for name in servers:
                one(name, "w", 1, 4)
            results = alternating_rounds(
                list(servers), rounds, lambda name, r: one(name, f"r{r}", seconds, CONNECTIONS)
            )
        stored = {
            name: count_rows(url, f"SELECT count(*) FROM {table}")  # noqa: S608
            for name, (_, _, _, url, table) in servers.items()
        }
    out = {name: summarize(rs) for name, rs in results.items()}
    for name in apps:
        out[name]["vs_baseline"] = median_ratio(results[name], results["baseline"])
    if "old" in apps:
        out["new"]["vs_old"] = median_ratio(results["new"], results["old"])
    for name in servers:
        out[name].update(
            stored=stored[name],
            acknowledged=acknowledged[name],
            unanswered=unanswered[name],
            errors=errors[name],
        )
    return out


def markdown(report: dict) -> str:
    title = (
        f"Sign POST: wrk, {CONNECTIONS} connections, 2 threads; gunicorn, 2 sync workers; "
        f"{report['rounds']} rounds × {report['seconds']} s per server, medians over rounds."
    )
    return markdown_report(title, report)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short rounds (3 s instead of 8 s)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ab", metavar="REV", help="also run the app at git revision REV")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args()
    exit_on_sigterm()
    seconds = 3 if args.quick else 8
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report = {"machine": machine(), "rounds": args.rounds, "seconds": seconds,
              "new": f"working tree {describe()}", "old": None, "runs": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-sign-") as tmp:
        tmp = Path(tmp)
        apps = {"app": ROOT}
        if args.ab:
            commit = export_tree(args.ab, tmp / "old-tree")
            report["old"] = f"{args.ab} = {commit[:9]}"
            apps = {"old": tmp / "old-tree", "new": ROOT}
        for kind in kinds:
            report["runs"][kind] = run(kind, tmp, apps, seconds, args.rounds)
    print(json.dumps(report, indent=2) if args.json else markdown(report))


if __name__ == "__main__":
    main()
