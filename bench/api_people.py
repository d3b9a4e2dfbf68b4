"""The OSDI API under load, driven by wrk (bench/wrk/api.lua), SQLite and/or PostgreSQL.

A petition with 100,000 signers (`flask demo`'s bulk insert, each signer a person) on a
throwaway database, the app under gunicorn with 2 sync workers, an admin's API token:

- listing: GET /api/osdi/v1/people and /petitions/<id>/signatures, 25 per page, page 1
  and page 4,000 (the last), 4 connections; goal p99 < 20 ms for both pages;
- writing: POST /petitions/<id>/signatures (JSON, through the API) against the sign
  form's POST on the same server, 16 connections, every request a distinct signer; goal
  ≥ 0.8× the form.

Rounds alternate the kinds (order reversed every other round) so they share the noise;
figures are medians over rounds. Afterwards the database must hold one signature per
acknowledged POST.
Usage: .venv/bin/python bench/api_people.py [--quick] [--db sqlite|postgres|both]
       [--rounds N] [--signers N] [--json]
"""

import argparse
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
    gunicorn,
    machine,
    median_ratio,
    prepare_app,
    python,
    run_wrk,
    summarize,
)
from bench.sign_post import SIGNER, session_for  # noqa: E402

SEED = """
import sys
from petitions import create_app
from petitions.accounts.api_tokens import create_api_token
from petitions.accounts.services import create_user
from petitions.core.extensions import db
from petitions.models import Petition
from petitions.operations.demo import add_fake_signatures
app = create_app()
with app.app_context():
    admin, _ = create_user("bench-admin@example.org", "admin", "bench password 123")
    db.session.flush()
    _, token = create_api_token(admin, "bench")
    petition = Petition(slug="bench", title="Bench", status="published", goal=100000)
    db.session.add(petition)
    db.session.commit()
    add_fake_signatures(petition, int(sys.argv[1]))
    db.session.commit()
    print(petition.id, token)
"""
LIST_CONNECTIONS = 4
SIGN_CONNECTIONS = 16
API_BODY = json.dumps(
    {
        "person": {
            "given_name": "Load",
            "family_name": "Tester WHO",
            "email_addresses": [{"address": "EMAIL"}],
            "postal_addresses": [{"postal_code": "06106", "locality": "Hartford"}],
        }
    }
)


def run(kind: str, tmp: Path, signers: int, seconds: int, rounds: int) -> dict:
    with ExitStack() as databases:
        env, url = prepare_app(ROOT, kind, tmp / kind, databases)
        petition_id, token = python(SEED, env, ROOT, str(signers)).split()
        last = (signers + 24) // 25
        api = "/api/osdi/v1"
        loads = {
            "people p1": {"path": f"{api}/people?page=1&per_page=25"},
            f"people p{last}": {"path": f"{api}/people?page={last}&per_page=25"},
            "signatures p1": {"path": f"{api}/petitions/{petition_id}/signatures?page=1"},
            f"signatures p{last}": {
                "path": f"{api}/petitions/{petition_id}/signatures?page={last}"
            },
        }
        posted = 0
        with gunicorn("wsgi:app", env) as port:
            cookie, csrf = session_for(port, "/p/bench")
            form = urllib.parse.urlencode({"csrf_token": csrf, **SIGNER} if csrf else SIGNER)
            writes = {
                "sign form POST": ("sign.lua", {"path": "/p/bench/sign", "body": form,
                                                "cookie": cookie}),  # fmt: skip
                "API signature POST": ("api.lua", {
                    "path": f"{api}/petitions/{petition_id}/signatures", "body": API_BODY}),
            }  # fmt: skip

            def read(name: str, tag: str, secs: int):
                return run_wrk(port, "api.lua", seconds=secs, connections=LIST_CONNECTIONS,
                               tag=tag, token=token, body="", **loads[name])  # fmt: skip

            def write(name: str, tag: str, secs: int):
                nonlocal posted
                script, params = writes[name]
                res = run_wrk(port, script, seconds=secs, connections=SIGN_CONNECTIONS,
                              tag=tag, token=token, **params)  # fmt: skip
                posted += res.acknowledged + res.unanswered
                return res

            for name in loads:
                read(name, "w", 1)
            for name in writes:
                write(name, f"w{len(name)}", 1)
            reads = alternating_rounds(list(loads), rounds, lambda n, r: read(n, f"r{r}", seconds))
            written = alternating_rounds(
                list(writes), rounds, lambda n, r: write(n, f"r{r}{len(n)}", seconds)
            )
        stored = count_rows(url, "SELECT count(*) FROM signatures") - signers
    out = {name: summarize(rs) for name, rs in {**reads, **written}.items()}
    out["API signature POST"]["vs_form"] = median_ratio(
        written["API signature POST"], written["sign form POST"]
    )
    errors = sum(r.errors for rs in {**reads, **written}.values() for r in rs)
    return {"servers": out, "stored": stored, "posted": posted, "errors": errors}


def markdown(report: dict) -> str:
    lines = [
        f"OSDI API: wrk; gunicorn, 2 sync workers; {report['signers']:,} signers on one "
        f"petition; lists at {LIST_CONNECTIONS} connections, POSTs at {SIGN_CONNECTIONS}; "
        f"{report['rounds']} rounds × {report['seconds']} s per kind, medians over rounds.",
        "",
        f"Machine: {report['machine']}. Tree: {report['new']}.",
        "",
        "| DB | request | req/s | p50 ms | p99 ms | p99 by round | × sign form |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, run_ in report["runs"].items():
        for name, s in run_["servers"].items():
            ratio = s["vs_form"]["median"] if "vs_form" in s else ""
            by_round = ", ".join(f"{x:.1f}" for x in s["rounds_p99_ms"])
            lines.append(
                f"| {kind} | {name} | {s['req_per_s']:,.0f} | {s['p50_ms']:.2f} | "
                f"{s['p99_ms']:.2f} | {by_round} | {ratio} |"
            )
    lines.append("")
    for kind, run_ in report["runs"].items():
        ok = "yes" if run_["stored"] == run_["posted"] else "**no**"
        lines.append(
            f"- {kind}: errors {run_['errors']}; signatures stored = acknowledged POSTs: "
            f"{ok} ({run_['stored']:,} / {run_['posted']:,})"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short rounds (3 s instead of 8 s)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--signers", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args()
    exit_on_sigterm()
    seconds = 3 if args.quick else 8
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report = {"machine": machine(), "rounds": args.rounds, "seconds": seconds,
              "signers": args.signers, "new": describe(), "runs": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        for kind in kinds:
            report["runs"][kind] = run(kind, Path(tmp), args.signers, seconds, args.rounds)
    print(json.dumps(report, indent=2) if args.json else markdown(report))


if __name__ == "__main__":
    main()
