"""Benchmark: an update to N signers through a local SMTP server vs. a bare smtplib loop.

    .venv/bin/python bench/update_send.py [--signatures N]

A local aiosmtpd server runs in a process of its own and writes one line per message it
accepts (subject and recipient). Against it, in fresh subprocesses of their own:
  * baseline: the floor. A bare smtplib loop over one connection sending the same
    messages (the same rendered subject, text and HTML per language, one EmailMessage
    per recipient with the same headers), recipients already in memory;
  * update:   `flask --app wsgi updates send demo ... --yes`: the audience queued as
    delivery rows, then each message composed and sent, and its row marked sent, in
    its own commit (SQLite, unthrottled: MAIL_RATE_PER_SECOND=0);
  * kill:     a second update sent by `flask mail resume`, killed with SIGKILL about
    half-way, then resumed by another `flask mail resume --force`. The server's lines
    must name every recipient exactly once.
Baseline and update alternate for --rounds rounds (the best of each counts); then the
kill run. Reports messages per second of each, the ratio, and the peak RSS of each process.
"""

import argparse
import collections
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import free_port, machine, wait_for_port  # noqa: E402

SUBJECT, SUBJECT_ES = "We delivered the petition", "Entregamos la petición"
BODY = "Today we handed the signatures to the State Board of Education.\n\nThank you!"
BODY_ES = "Hoy entregamos las firmas a la Junta de Educación del Estado.\n\n¡Gracias!"


def serve(port: int, log_path: str) -> None:
    """The SMTP server process: one line per accepted message."""
    from email.parser import BytesHeaderParser
    from email.policy import default

    from aiosmtpd.controller import Controller

    log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    parser = BytesHeaderParser(policy=default)  # decoded subjects

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            headers = parser.parsebytes(envelope.content)
            log.write(f"{headers['Subject']}\t{','.join(envelope.rcpt_tos)}\n")
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.sigwait({signal.SIGTERM})
    controller.stop()


def env_for(tmp: str, port: int) -> dict:
    return dict(
        os.environ,
        PETITIONS_INSTANCE=tmp,
        DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
        SECRET_KEY="bench",
        FLASK_MAIL_SERVER="127.0.0.1",
        FLASK_MAIL_PORT=str(port),
        FLASK_MAIL_RATE_PER_SECOND="0",
        FLASK_MAIL_DUE_CHECK_SECONDS="0",
        FLASK_PUBLIC_BASE_URL="https://act.example.org",
        FLASK_RATELIMIT_ENABLED="false",
    )


def seed(n: int) -> None:
    """In the child's environment: demo petition and N signers, every fifth in Spanish."""
    from flask_migrate import upgrade
    from sqlalchemy import update

    from petitions import create_app
    from petitions.core.extensions import db
    from petitions.models import Signature
    from petitions.operations.demo import add_fake_signatures, ensure_demo_petition

    app = create_app()
    with app.app_context():
        upgrade()
        petition = ensure_demo_petition()
        add_fake_signatures(petition, n)
        db.session.execute(update(Signature).where(Signature.id % 5 == 0).values(language="es"))
        db.session.commit()


def baseline(n: int, port: int) -> dict:
    """The same messages over one connection, with nothing around them."""
    import smtplib
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    from petitions import create_app
    from petitions.core.extensions import db
    from petitions.mail.composer import PLACEHOLDER
    from petitions.operations.demo import ensure_demo_petition
    from petitions.updates.mail import render_update
    from petitions.updates.services import UpdateData, create_update

    app = create_app()
    with app.app_context():
        update = create_update(
            ensure_demo_petition(), UpdateData(SUBJECT, BODY, SUBJECT_ES, BODY_ES)
        )
        rendered = {lang: render_update(update, lang) for lang in ("en", "es")}
        db.session.rollback()
    recipients = [(f"signer{i}@example.org", "es" if i % 5 == 0 else "en") for i in range(n)]
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i, (to, lang) in enumerate(recipients):
            subject, text, html = rendered[lang]
            url = f"https://act.example.org/u/{i:026d}"
            msg = EmailMessage()
            msg["From"] = "Petitions <noreply@localhost>"
            msg["To"] = to
            msg["Subject"] = f"baseline {subject}"
            msg["Date"] = formatdate()
            msg["Message-ID"] = make_msgid(domain="localhost")
            msg["List-Unsubscribe"] = f"<{url}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            msg.set_content(text.replace(PLACEHOLDER, url))
            msg.add_alternative(html.replace(PLACEHOLDER, url), subtype="html")
            msg["Content-Language"] = lang
            smtp.send_message(msg)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "messages": n, "peak_mb": peak}


def child(kind: str, n: int, port: int) -> None:
    if kind == "seed":
        seed(n)
        print(json.dumps({}))
    elif kind == "baseline":
        print(json.dumps(baseline(n, port)))
    elif kind == "prepare":  # the kill run's mailing, queued, not sent
        from petitions import create_app
        from petitions.core.extensions import db
        from petitions.operations.demo import ensure_demo_petition
        from petitions.updates.services import UpdateData, create_update, send_update

        app = create_app()
        with app.app_context():
            data = UpdateData("killed " + SUBJECT, BODY, "killed " + SUBJECT_ES, BODY_ES)
            mailing = send_update(create_update(ensure_demo_petition(), data))
            mailing_id = mailing.id
            db.session.commit()
        print(json.dumps({"mailing_id": mailing_id}))


def run_child(kind: str, n: int, port: int, env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--signatures", str(n), "--port", str(port)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def flask(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_peak(proc: subprocess.Popen) -> tuple[float, float]:
    """Wait for a child; (seconds it ran, its peak RSS in MB)."""
    start = time.perf_counter()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def lines(log_path: str, prefix: str) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            subject, _, to = line.rstrip("\n").partition("\t")
            if subject.startswith(prefix):
                counts[to] += 1
    return counts


def send_round(r: int, env: dict, log_path: str) -> dict:
    """One update through the CLI; its mailing's own record of queueing and sending."""
    subject, subject_es = f"round {r} {SUBJECT}", f"round {r} {SUBJECT_ES}"
    proc = flask(
        ["updates", "send", "demo", "--subject", subject, "--body", BODY,
         "--subject-es", subject_es, "--body-es", BODY_ES, "--audience", "signers", "--yes"],
        env,
    )  # fmt: skip
    _seconds, peak = wait_peak(proc)
    assert proc.returncode == 0, proc.stderr.read()
    timing = json.loads(
        subprocess.run(
            [sys.executable, "-c", TIMING, subject],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        ).stdout  # fmt: skip
    )
    sent = lines(log_path, subject) + lines(log_path, subject_es)
    assert len(sent) == timing["recipients"] and set(sent.values()) == {1}, "not exactly once"
    return dict(timing, peak_mb=peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signatures", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        if args.child == "serve":
            serve(args.port, os.environ["BENCH_SMTP_LOG"])
        else:
            child(args.child, args.signatures, args.port)
        return

    n, rounds = args.signatures, args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = env_for(tmp, port)
        log_path = str(Path(tmp) / "smtp.log")
        server = subprocess.Popen(
            [sys.executable, __file__, "--child", "serve", "--port", str(port)],
            env=dict(env, BENCH_SMTP_LOG=log_path),
        )
        try:
            wait_for_port(port, proc=server)
            t0 = time.perf_counter()
            run_child("seed", n, port, env)
            print(f"seeded {n:,} signatures in {time.perf_counter() - t0:.1f} s")

            bases, updates = [], []
            for r in range(rounds):  # alternate, so machine noise hits both alike
                bases.append(run_child("baseline", n, port, env))
                updates.append(send_round(r, env, log_path))
                print(f"round {r + 1}: baseline {bases[-1]['seconds']:.1f} s, "
                      f"update {updates[-1]['send_s']:.1f} s sending "
                      f"(+ {updates[-1]['queue_s']:.1f} s queueing)")  # fmt: skip
            n = updates[0]["recipients"]
            base = min(bases, key=lambda x: x["seconds"])
            timing = min(updates, key=lambda x: x["send_s"])

            mailing_id = run_child("prepare", n, port, env)["mailing_id"]
            worker = flask(["mail", "resume", str(mailing_id), "--force"], env)
            while True:
                time.sleep(0.5)
                done = sum(lines(log_path, "killed ").values())
                if done >= n // 2:
                    break
            worker.send_signal(signal.SIGKILL)
            _s, killed_peak = wait_peak(worker)
            at_kill = sum(lines(log_path, "killed ").values())
            resumed = flask(["mail", "resume", str(mailing_id), "--force"], env)
            _s, resumed_peak = wait_peak(resumed)
            assert resumed.returncode == 0, resumed.stderr.read()
            killed = lines(log_path, "killed ")
            twice = sum(1 for c in killed.values() if c > 1)
            print(
                f"kill -9 after {at_kill:,} of {n:,} messages, resumed: {len(killed):,} "
                f"recipients got it, {twice} of them more than once"
            )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()

    base_rate = n / base["seconds"]
    rate = n / timing["send_s"]
    print(
        f"\nbaseline (bare smtplib loop, one connection, the same messages): "
        f"{base['seconds']:.1f} s, {base_rate:,.0f} messages/s, peak RSS {base['peak_mb']:.0f} MB"
    )
    print(
        f"update (delivery rows in SQLite, one commit per message, one connection): "
        f"queue {timing['queue_s']:.1f} s, send {timing['send_s']:.1f} s, {rate:,.0f} messages/s, "
        f"peak RSS {max(u['peak_mb'] for u in updates):.0f} MB "
        f"(kill run: {killed_peak:.0f} / {resumed_peak:.0f} MB)"
    )
    print(f"ratio update / baseline rate: {rate / base_rate:.2f}")
    print(f"exactly once after kill -9 + resume: {len(killed) == n and twice == 0}")
    print(f"machine: {machine()}")


# A mailing's own record (by its update's subject): when its rows were queued, its first
# and last send.
TIMING = """
import json, sys
from sqlalchemy import select
from petitions import create_app
from petitions.core.extensions import db
from petitions.models import Mailing, Update
app = create_app()
with app.app_context():
    m = db.session.scalars(select(Mailing).join(Update).where(Update.subject == sys.argv[1])).one()
    print(json.dumps({"recipients": m.recipients,
                      "queue_s": (m.started_at - m.created_at).total_seconds(),
                      "send_s": (m.finished_at - m.started_at).total_seconds()}))
"""

if __name__ == "__main__":
    main()
