"""A petition taking off: public pages against their floors, and the surge mix.

1. Shared pages straight from gunicorn (2 sync workers): `GET /p/demo`, `/e/demo-rally`
   and `/p/demo.json` against a minimal Flask app serving the very same bytes from a dict
   (bench/baseline_apps.py), 16 connections, in alternating rounds.
2. Through the nginx front (deploy/nginx/petitions.conf, run by tests/nginx_front.py):
   the petition page against the same nginx serving the same bytes as a static file
   (with the site's own open_file_cache settings on both).
3. The surge mix (bench/wrk/surge.lua): 20 views per signer — page GETs in English and
   Spanish and JSON polls, two to one, and sign POSTs by distinct signers — straight from
   gunicorn and through nginx, on SQLite and PostgreSQL. Reported: signatures per minute
   sustained, p99 per kind, the multiple of the UK Parliament site's 2019 peak (2,000 a
   minute); afterwards stored signatures must equal acknowledged ones.

With --ab REV, part 1 also serves the app at git revision REV (exported to a temporary
directory, migrated by its own migrations, the same demo data) and gives the working
tree's throughput over REV's for each page, in the same alternating rounds.

Usage: .venv/bin/python bench/surge.py [--quick] [--db sqlite|postgres|both] [--rounds N]
       [--ab REV] [--json]
"""

import argparse
import http.client
import json
import sys
import tempfile
import uuid
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
    flask,
    free_port,
    gunicorn,
    machine,
    median_ratio,
    prepare_app,
    run_wrk,
    summarize,
)
from tests.nginx_front import SITE, nginx_front  # noqa: E402

UK_PEAK_PER_MINUTE = 2000
PAGES = {"petition": "/p/demo", "event": "/e/demo-rally", "json": "/p/demo.json"}
COUNT = "SELECT count(*) FROM signatures"


def fetch(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (path, response.status)
        assert response.getheader("Set-Cookie") is None, path
        return body
    finally:
        conn.close()


def compare(ports: dict[str, tuple[int, dict[str, str]]], rounds, seconds) -> dict:
    """For each page: the app's and its floor's throughput, in alternating rounds."""
    out = {}
    for page in next(iter(ports.values()))[1]:

        def one(name, _round, page=page):
            port, paths = ports[name]
            return run_wrk(port, "get.lua", paths[page], seconds, connections=16)

        results = alternating_rounds(list(ports), rounds, one)
        figures = {name: summarize(rs) for name, rs in results.items()}
        names = list(ports)
        figures["ratio"] = median_ratio(results[names[0]], results[names[1]])
        out[page] = figures
    return out


def surge(port: int, url: str, seconds: int, connections: int) -> dict:
    before = count_rows(url, COUNT)
    r = run_wrk(
        port, "surge.lua", "/", seconds, connections=connections, threads=connections,
        slug="demo", tag=uuid.uuid4().hex[:8],
    )  # fmt: skip
    stored = count_rows(url, COUNT) - before
    kinds = r.kinds
    per_minute = kinds["sign"]["ok"] / r.seconds * 60
    return {
        "req_per_s": round(r.req_per_s, 1),
        "signatures_per_minute": round(per_minute),
        "x_uk_peak": round(per_minute / UK_PEAK_PER_MINUTE, 2),
        "views_per_signature": round(
            (kinds["page"]["n"] + kinds["json"]["n"]) / kinds["sign"]["n"], 1
        ),
        "p99_ms": {k: round(v["p99_us"] / 1000, 1) for k, v in kinds.items()},
        "p50_ms": {k: round(v["p50_us"] / 1000, 1) for k, v in kinds.items()},
        "errors": r.errors,
        "stored": stored,
        "acknowledged": kinds["sign"]["ok"],
        "unanswered": r.unanswered,
    }


def site_file_cache() -> str:
    """The open_file_cache lines of deploy/nginx/petitions.conf."""
    lines = SITE.read_text().splitlines()
    found = [x.split("#", 1)[0].strip() for x in lines if x.strip().startswith("open_file_cache")]
    return " ".join(found)


def run(kind: str, work: Path, args, report: dict) -> None:
    with ExitStack() as stack:
        env, url = prepare_app(ROOT, kind, work / kind, stack)
        flask(["demo", "--signatures", "2000"], env)
        port = stack.enter_context(gunicorn("wsgi:app", env))
        if kind == args.pages_on:
            pages_dir = work / "pages"
            pages_dir.mkdir()
            names = {"petition": "petition.html", "event": "event.html", "json": "demo.json"}
            for page, path in PAGES.items():
                (pages_dir / names[page]).write_bytes(fetch(port, path))
            base_env = dict(env, BASELINE_PAGES=str(pages_dir))
            base = stack.enter_context(gunicorn("bench.baseline_apps:app", base_env))
            report["pages"] = compare(
                {
                    "app": (port, PAGES),
                    "minimal Flask": (base, {p: f"/page/{n}" for p, n in names.items()}),
                },
                args.rounds, args.seconds,
            )  # fmt: skip
            if args.ab:
                old_tree = work / "old-tree"
                report["old"] = f"{args.ab} = {export_tree(args.ab, old_tree)[:9]}"
                old_env, _ = prepare_app(old_tree, kind, work / "old", stack)
                flask(["demo", "--signatures", "2000"], old_env, old_tree)
                old = stack.enter_context(gunicorn("wsgi:app", old_env, cwd=old_tree))
                report["ab"] = compare(
                    {"app": (port, PAGES), f"app at {args.ab}": (old, PAGES)},
                    args.rounds, args.seconds,
                )  # fmt: skip
            static_port = free_port()
            # The static file's server keeps open files as the site does: like for like.
            extra = (
                f"server {{ listen 127.0.0.1:{static_port}; root {pages_dir}; "
                f"{site_file_cache()} location / {{ default_type text/html; }} }}"
            )
            front_url = stack.enter_context(
                nginx_front(work / "nginx-pages", f"127.0.0.1:{port}", workers=2, extra=extra)
            )
            front = int(front_url.rsplit(":", 1)[1])
            fetch(front, "/p/demo")
            report["nginx"] = compare(
                {
                    "app through nginx": (front, {"petition": "/p/demo"}),
                    "nginx static file": (static_port, {"petition": "/petition.html"}),
                },
                args.rounds, args.seconds,
            )  # fmt: skip
        report["surge"][kind] = {
            "gunicorn": surge(port, url, args.surge_seconds, 16),
        }
        front_url = stack.enter_context(
            nginx_front(work / f"nginx-{kind}", f"127.0.0.1:{port}", workers=2)
        )
        report["surge"][kind]["nginx"] = surge(
            int(front_url.rsplit(":", 1)[1]), url, args.surge_seconds, 16
        )


def markdown(report: dict) -> str:
    lines = [f"Machine: {report['machine']}; code {report['code']}.", ""]
    if "pages" in report:
        lines += ["| page | app req/s (p99 ms) | floor req/s (p99 ms) | ratio (rounds) |",
                  "|---|---|---|---|"]  # fmt: skip
        for section in ("pages", "ab", "nginx"):
            if section not in report:
                continue
            for page, f in report[section].items():
                a, b = [f[k] for k in f if k != "ratio"]
                lines.append(
                    f"| {section}: {page} | {a['req_per_s']:,} ({a['p99_ms']}) | "
                    f"{b['req_per_s']:,} ({b['p99_ms']}) | **{f['ratio']['median']}×** "
                    f"({', '.join(map(str, f['ratio']['rounds']))}) |"
                )
        lines.append("")
    lines += ["| DB | server | req/s | signatures/min | × UK peak | views/signature | "
              "p99 ms page / JSON / sign | errors | stored = acknowledged |",
              "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for kind, servers in report["surge"].items():
        for name, s in servers.items():
            p99 = s["p99_ms"]
            ok = s["stored"] in range(s["acknowledged"], s["acknowledged"] + s["unanswered"] + 1)
            lines.append(
                f"| {kind} | {name} | {s['req_per_s']:,} | {s['signatures_per_minute']:,} | "
                f"**{s['x_uk_peak']}×** | {s['views_per_signature']} | "
                f"{p99['page']} / {p99['json']} / {p99['sign']} | {s['errors']} | "
                f"{'yes' if ok else '**no**'}, {s['stored']:,} |"
            )
    return "\n".join(lines)


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="short runs, one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ab", metavar="REV", help="also serve the pages of git revision REV")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.seconds, args.surge_seconds = (3, 5) if args.quick else (8, 15)
    args.rounds = 1 if args.quick else args.rounds
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    args.pages_on = kinds[0]
    report = {"machine": machine(), "code": describe(), "surge": {}}
    with tempfile.TemporaryDirectory(prefix="bench-surge-") as tmp:
        for kind in kinds:
            run(kind, Path(tmp), args, report)
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    if any(s["errors"] for servers in report["surge"].values() for s in servers.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
