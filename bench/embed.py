"""The embed against the petition page, in the same run: shared GETs and sign POSTs.

One app under gunicorn (2 sync workers) with the demo (`flask demo --signatures 2000`),
SQLite and/or PostgreSQL. wrk (16 connections, 2 threads) loads, in alternating rounds:

1. GET `/p/demo` (the petition page: the baseline), `/p/demo/embed` and
   `/p/demo/badge.svg` — all shared pages, answered from the page cache.
2. POST `/p/demo/sign` (the petition page's form: the baseline) and
   `/p/demo/embed/sign` (the embed's: the same service, its thank-you by redirect),
   every request a distinct signer (bench/wrk/sign.lua), no cookie, no token.

A ratio is the median of the rounds' ratios (embed over petition page). Afterwards the
database must hold exactly the acknowledged signatures.

Usage: .venv/bin/python bench/embed.py [--quick] [--db sqlite|postgres|both] [--rounds N]
       [--json]
"""

import argparse
import http.client
import json
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
    flask,
    gunicorn,
    machine,
    median_ratio,
    prepare_app,
    run_wrk,
    summarize,
)

CONNECTIONS = 16
PAGES = {"petition page": "/p/demo", "embed": "/p/demo/embed", "badge": "/p/demo/badge.svg"}
POSTS = {"petition page sign": "/p/demo/sign", "embed sign": "/p/demo/embed/sign"}
# The demo petition asks for a waitlist number; sign.lua adds family_name and email.
SIGNER = {"given_name": "Load", "postal_code": "06106", "waitlist_number": "412"}


def fetch(port: int, path: str) -> tuple[int, int]:
    """(status, bytes) of one GET, which must be a shared answer (no cookie)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        assert response.getheader("Set-Cookie") is None, path
        return response.status, len(body)
    finally:
        conn.close()


def run(kind: str, work: Path, args) -> dict:
    with ExitStack() as stack:
        env, url = prepare_app(ROOT, kind, work / kind, stack)
        flask(["demo", "--signatures", "2000"], env)
        before = count_rows(url, "SELECT count(*) FROM signatures")
        acknowledged = unanswered = errors = 0
        with ExitStack() as running:
            port = running.enter_context(gunicorn("wsgi:app", env))
            sizes = {}
            for name, path in PAGES.items():
                status, size = fetch(port, path)
                assert status == 200, (path, status)
                sizes[name] = size

            def get(name, _round):
                return run_wrk(port, "get.lua", PAGES[name], args.seconds, CONNECTIONS)

            body = urllib.parse.urlencode(SIGNER)

            def post(name, r):
                nonlocal acknowledged, unanswered, errors
                tag = f"{'e' if 'embed' in name else 'p'}{r}"
                res = run_wrk(port, "sign.lua", POSTS[name], args.seconds, CONNECTIONS,
                              tag=tag, body=body, cookie="")  # fmt: skip
                acknowledged += res.acknowledged
                unanswered += res.unanswered
                errors += res.errors
                return res

            for name in POSTS:  # warm-up
                post(name, -1)
            gets = alternating_rounds(list(PAGES), args.rounds, get)
            posts = alternating_rounds(list(POSTS), args.rounds, post)
        stored = count_rows(url, "SELECT count(*) FROM signatures") - before
    out = {"pages": {}, "posts": {}}
    for name, results in gets.items():
        out["pages"][name] = dict(summarize(results), bytes=sizes[name])
        out["pages"][name]["vs_petition"] = median_ratio(results, gets["petition page"])
        out["pages"][name]["errors"] = sum(r.errors for r in results)
    for name, results in posts.items():
        out["posts"][name] = summarize(results)
        out["posts"][name]["vs_petition"] = median_ratio(results, posts["petition page sign"])
        out["posts"][name]["errors"] = sum(r.errors for r in results)
    out["rows"] = {"stored": stored, "acknowledged": acknowledged, "unanswered": unanswered,
                   "errors": errors}  # fmt: skip
    return out


def markdown(report: dict) -> str:
    lines = [f"Machine: {report['machine']}; code {report['code']}; "
             f"{report['rounds']} rounds × {report['seconds']} s, {CONNECTIONS} connections.",
             "",
             "| DB | request | bytes | req/s | p50 ms | p99 ms | × petition page (rounds) | errors |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for kind, out in report["runs"].items():
        for section in ("pages", "posts"):
            for name, s in out[section].items():
                ratio = s["vs_petition"]
                lines.append(
                    f"| {kind} | {name} | {s.get('bytes', '')} | {s['req_per_s']:,} | "
                    f"{s['p50_ms']} | {s['p99_ms']} | **{ratio['median']}×** "
                    f"({', '.join(map(str, ratio['rounds']))}) | {s['errors']} |"
                )
    lines.append("")
    for kind, out in report["runs"].items():
        rows = out["rows"]
        late = rows["unanswered"]
        ok = rows["acknowledged"] <= rows["stored"] <= rows["acknowledged"] + late
        lines.append(
            f"- {kind}: signatures stored = acknowledged: {'yes' if ok else '**no**'} "
            f"({rows['stored']:,} stored, {rows['acknowledged']:,} acknowledged"
            + (f", {late} answered after wrk left" if late else "")
            + ")"
        )
    return "\n".join(lines)


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="3 s runs, one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.seconds = 3 if args.quick else 8
    args.rounds = 1 if args.quick else args.rounds
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report = {"machine": machine(), "code": describe(), "rounds": args.rounds,
              "seconds": args.seconds, "runs": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-embed-") as tmp:
        for kind in kinds:
            report["runs"][kind] = run(kind, Path(tmp), args)
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    if any(out["rows"]["errors"] for out in report["runs"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
