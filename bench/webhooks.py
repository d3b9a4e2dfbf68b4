"""Sign POSTs with a webhook whose endpoint takes 2 s to answer, against no webhook.

Two copies of the app run side by side under gunicorn (2 sync workers), each on a
throwaway database (SQLite by default, --db postgres): "no webhook", and "webhook", which
has one webhook taking signature.created, posting to a local endpoint that sleeps
--sleep seconds (default 2) before it answers 200 and checks each message's signature
with the standardwebhooks library. wrk (bench/wrk/sign.lua, 16 connections, every request
a distinct signer) drives each in turn, round after round, until each has been sent at
least --signatures (default 10,000) signatures. Both run without REDIS_URL, so the
webhook's messages are recorded and sent by threads of the web workers themselves (the
harder case: with Redis they leave the process).

The goal (issue 21): the webhook server's sign POST throughput ≥ 0.9× that of the server
without one (the median of the rounds' ratios). Afterwards: stored signatures =
acknowledged on both; the webhook server recorded one message per signature (counted
after a short wait for the recording threads), and how many the slow endpoint received,
all verified.

Usage: .venv/bin/python bench/webhooks.py [--db sqlite|postgres] [--signatures N]
       [--seconds S] [--sleep S] [--json]
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    markdown_report,
    median_ratio,
    prepare_app,
    python,
    run_wrk,
    summarize,
)
from bench.sign_post import SEED_PETITION, SIGNER, session_for  # noqa: E402

CONNECTIONS = 16


class SlowEndpoint:
    """Answers every POST after `sleep` seconds; counts the messages and the verified."""

    def __init__(self, sleep: float):
        self.secret = None
        self.received = self.verified = 0
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                from standardwebhooks import Webhook

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    Webhook(endpoint.secret).verify(body, dict(self.headers.items()))
                    ok = 1
                except Exception:
                    ok = 0
                time.sleep(sleep)
                with endpoint.lock:
                    endpoint.received += 1
                    endpoint.verified += ok
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def run(kind: str, tmp: Path, signatures: int, seconds: int, sleep: float) -> dict:
    endpoint = SlowEndpoint(sleep)
    names = ["no webhook", "webhook"]
    with ExitStack() as databases:
        servers = {}
        for name in names:
            env, url = prepare_app(ROOT, kind, tmp / kind / name.replace(" ", "-"), databases)
            env["WEBHOOKS_ALLOW_PRIVATE"] = "true"  # the endpoint is on this machine
            python(SEED_PETITION, env, ROOT)
            servers[name] = (env, url)
        added = flask(["webhooks", "add", endpoint.url, "--events", os.environ.get("BENCH_EVENTS", "signature.created")],
                      servers["webhook"][0], ROOT)  # fmt: skip
        endpoint.secret = added.strip().splitlines()[-1]
        acknowledged, unanswered, errors = ({n: 0 for n in names} for _ in range(3))
        results = {n: [] for n in names}
        with ExitStack() as running:
            ports, load = {}, {}
            for name, (env, _) in servers.items():
                ports[name] = running.enter_context(gunicorn("wsgi:app", env, cwd=ROOT))
                cookie, token = session_for(ports[name], "/p/bench")
                body = urllib.parse.urlencode({"csrf_token": token, **SIGNER})
                load[name] = {"path": "/p/bench/sign", "body": body, "cookie": cookie}

            def one(name: str, tag: str, secs: int, connections: int):
                res = run_wrk(ports[name], "sign.lua", seconds=secs, connections=connections,
                              tag=tag, **load[name])  # fmt: skip
                acknowledged[name] += res.acknowledged
                unanswered[name] += res.unanswered
                errors[name] += res.errors
                return res

            for name in names:
                one(name, "w", 1, 4)
            r = 0
            # Rounds until each server has taken the signatures asked for (3 at least).
            while r < 3 or min(acknowledged.values()) < signatures:
                for name in names if r % 2 == 0 else names[::-1]:
                    results[name].append(one(name, f"r{r}", seconds, CONNECTIONS))
                r += 1
            # The recording thread may still hold the last events: give it a moment.
            deadline = time.monotonic() + 30
            url = servers["webhook"][1]
            while time.monotonic() < deadline:
                recorded = count_rows(url, "SELECT count(*) FROM webhook_deliveries")
                if recorded >= acknowledged["webhook"]:
                    break
                time.sleep(0.5)
        stored = {n: count_rows(servers[n][1], "SELECT count(*) FROM signatures") for n in names}
        recorded = count_rows(servers["webhook"][1], "SELECT count(*) FROM webhook_deliveries")
    out = {n: summarize(rs) for n, rs in results.items()}
    out["webhook"]["vs_baseline"] = median_ratio(results["webhook"], results["no webhook"])
    for n in names:
        out[n].update(stored=stored[n], acknowledged=acknowledged[n],
                      unanswered=unanswered[n], errors=errors[n])  # fmt: skip
    out["webhook"].update(recorded=recorded, received=endpoint.received,
                          verified=endpoint.verified, rounds=r)  # fmt: skip
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--signatures", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run")
    parser.add_argument("--sleep", type=float, default=2.0, help="the endpoint's delay")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    exit_on_sigterm()
    report = {"machine": machine(), "new": f"working tree {describe()}", "old": None,
              "seconds": args.seconds, "runs": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        report["runs"][args.db] = run(args.db, Path(tmp), args.signatures, args.seconds,
                                      args.sleep)  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
        return
    w = report["runs"][args.db]["webhook"]
    title = (
        f"Sign POST with a webhook whose endpoint sleeps {args.sleep:g} s, against no webhook: "
        f"wrk, {CONNECTIONS} connections; gunicorn, 2 sync workers; {w['rounds']} rounds × "
        f"{args.seconds} s per server; × baseline = webhook / no webhook, median of the rounds."
    )
    print(markdown_report(title, report))
    print(
        f"\nWebhook server: {w['acknowledged']:,} signatures acknowledged, {w['recorded']:,} "
        f"messages recorded, {w['received']:,} received by the slow endpoint during the run "
        f"({w['verified']:,} verified)."
    )


if __name__ == "__main__":
    main()
