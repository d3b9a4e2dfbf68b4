"""Two-host production smoke: two gunicorn hosts, one RQ worker, one PostgreSQL database
and one Redis, started with the commands of deploy/ and driven over HTTP.

It runs in the PostgreSQL pass of `make test` (TEST_DB=postgres) with Redis; CI requires
both. Every process is started in a session of its own and killed at the end, pass or fail.
Waits poll against a deadline (a safety net for a hung process, not a timing assertion).
"""

import http.cookiejar
import json
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from petitions import create_app
from petitions.accounts.api_tokens import create_api_token
from petitions.accounts.services import create_user
from petitions.core.config import normalize_database_url
from petitions.core.extensions import db
from petitions.models import CheckIn, Petition, PetitionStatus
from petitions.operations.demo import add_fake_signatures
from tests import factories
from tests.conftest import PASSWORD, USE_POSTGRES, csrf_from
from tests.deploy_helpers import exec_start
from tests.processes import Processes, free_port, wait_for

pytestmark = pytest.mark.skipif(
    not USE_POSTGRES, reason="the two-host smoke runs in the PostgreSQL pass (TEST_DB=postgres)"
)

PACKET_ROWS = 20000  # enough that the worker is still drawing when it is killed
LOGIN_LIMIT = 6  # per minute, per address, shared by both hosts through Redis


# --- HTTP -----------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One visitor: one cookie jar, whichever host answers (cookies ignore the port)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def request(self, url, data=None, json_body=None, headers=None):
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get(self, url, **kw):
        return self.request(url, **kw)

    def get_json(self, url):
        status, _, body = self.get(url)
        assert status == 200, (url, status, body[:300])
        return json.loads(body)

    def csrf(self, url) -> str:
        status, _, body = self.get(url)
        assert status == 200, (url, status)
        return csrf_from(body.decode())


# --- the deployment -------------------------------------------------------------------


@pytest.fixture
def smoke_database():
    import psycopg

    server = os.environ["TEST_DATABASE_URL"]
    name = f"petitions_smoke_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield normalize_database_url(server).rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_db(redis_url):
    import redis

    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield redis_url
    conn.flushdb()
    conn.close()


@pytest.fixture
def deployment(smoke_database, redis_db, tmp_path, monkeypatch):
    """Seeded database, then host A, host B and the worker; yields what the test needs."""
    instance = tmp_path / "shared-instance"  # one instance folder, as on a shared volume
    instance.mkdir()
    monkeypatch.setenv("PETITIONS_INSTANCE", str(instance))
    app = create_app(
        {"SECRET_KEY": "smoke", "SQLALCHEMY_DATABASE_URI": smoke_database, "TESTING": True}
    )
    with app.app_context():
        upgrade()
        organizer, _ = create_user("dana@example.org", "organizer", PASSWORD, "Dana")
        db.session.flush()
        _, api_token = create_api_token(organizer, "smoke scanner")
        to_sign = Petition(slug="sign-here", title="More magnet seats", summary="Seats.",
                           body="<p>Seats.</p>", addressed_to="State Board of Education",
                           goal=100, status=PetitionStatus.PUBLISHED)  # fmt: skip
        big = Petition(slug="big", title="Fund the waitlist", summary="Fund it.",
                       body="<p>Fund it.</p>", addressed_to="Hartford Board of Education",
                       goal=50000, status=PetitionStatus.PUBLISHED)  # fmt: skip
        db.session.add_all([to_sign, big])
        db.session.commit()
        add_fake_signatures(big, PACKET_ROWS)
        event = factories.make_event()
        _, ticket = factories.make_attendee(event, name="Ana Rivera")
        db.session.commit()
        db.engine.dispose()

    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "smoke-secret-shared-by-every-host",
        "DATABASE_URL": smoke_database,
        "REDIS_URL": redis_db,
        "PETITIONS_INSTANCE": str(instance),
        "PETITIONS_WORKER_QUEUES": "packets",
        # Plain HTTP here (nginx terminates TLS in production), so cookies may not be Secure.
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_PACKET_BACKGROUND_THRESHOLD": "100",
        "FLASK_RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per minute",
        "FLASK_REQUEST_LOG": "true",
        "GUNICORN_WORKERS": "2",
    }
    procs = Processes(tmp_path)
    worker_host = f"smoke-{uuid.uuid4().hex[:8]}"  # the unit names its worker after the host
    try:
        hosts = {}
        for name in ("a", "b"):
            port = free_port()
            host_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
            procs.start(f"host-{name}", exec_start("petitions-web.service", host_env), host_env)
            hosts[name] = f"http://127.0.0.1:{port}"

        def start_worker():
            argv = exec_start("petitions-worker.service", env, hostname=worker_host)
            return procs.start("worker", argv, env)

        for name, base in hosts.items():
            wait_for(f"host {name} to answer /healthz", lambda base=base: _healthy(base, procs))
        yield {
            "a": hosts["a"],
            "b": hosts["b"],
            "app": app,
            "procs": procs,
            "start_worker": start_worker,
            "api_token": api_token,
            "ticket": ticket,
        }
    finally:
        procs.stop_all()
        with app.app_context():
            db.engine.dispose()


def _healthy(base: str, procs: Processes) -> bool:
    for proc in procs.started:
        if proc.poll() is not None:
            pytest.fail(f"{proc.name} exited with {proc.returncode}:\n{procs.log(proc.name)}")
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:
            return json.loads(r.read()) == {
                "status": "ok",
                "checks": {"database": "ok", "redis": "ok"},
            }
    except OSError:
        return False


# --- the smoke ------------------------------------------------------------------------


def test_two_hosts_one_worker_one_database_one_redis(deployment):
    a, b = deployment["a"], deployment["b"]
    procs = deployment["procs"]
    worker = deployment["start_worker"]()

    # A signature on host A counts on host B within the count cache's window.
    visitor = Browser()
    assert visitor.get_json(f"{b}/p/sign-here.json")["signature_count"] == 0  # B has cached 0
    visitor.request(f"{a}/p/sign-here")  # the (shared) page first, as a phone would
    form = {"given_name": "Marisol",
            "family_name": "Ortiz", "email": "marisol@example.org", "postal_code": "06106",
            "town": "Hartford", "role": "parent"}  # fmt: skip
    status, _, body = visitor.request(f"{a}/p/sign-here/sign", data=form)
    assert status in (200, 302, 303), body[:500]
    wait_for(
        "host B to count host A's signature",
        lambda: visitor.get_json(f"{b}/p/sign-here.json")["signature_count"] == 1,
        limit=10,
    )

    # Both hosts write one JSON line per request, without the query string.
    visitor.get(f"{a}/healthz?probe=smoke")
    lines = [json.loads(x) for x in procs.log("host-a", "out").splitlines() if x.startswith("{")]
    assert {"method": "GET", "path": "/healthz", "status": 200} in [
        {k: x[k] for k in ("method", "path", "status")} for x in lines
    ]
    assert "marisol" not in procs.log("host-a", "out") + procs.log("host-b", "out")

    # Rate limits are shared: the login limit, hit alternately on A and B.
    organizer = Browser()
    token = organizer.csrf(f"{a}/auth/login")
    status, headers, _ = organizer.request(
        f"{a}/auth/login",
        data={"email": "dana@example.org", "password": PASSWORD, "csrf_token": token},  # fmt: skip
    )
    assert status == 302, "the organizer logs in on A (the first of the address's tries)"
    guesser = Browser()
    token = guesser.csrf(f"{b}/auth/login")
    statuses = []
    for i in range(LOGIN_LIMIT):
        host = (a, b)[i % 2]
        status, _, _ = guesser.request(
            f"{host}/auth/login",
            data={"email": "dana@example.org", "password": "wrong guess", "csrf_token": token},
        )
        statuses.append(status)
    # One host alone would have seen half the tries; together they reach the limit.
    assert statuses == [401] * (LOGIN_LIMIT - 1) + [429], statuses

    # One check-in nonce sent to both hosts at once checks the ticket in once.
    auth = {"Authorization": f"Bearer {deployment['api_token']}"}
    scan = {"token": deployment["ticket"], "nonce": f"smoke-{uuid.uuid4().hex}"}
    barrier = threading.Barrier(2)
    answers = {}

    def send(host):
        barrier.wait()
        answers[host] = Browser().request(f"{host}/api/v1/checkins", json_body=scan, headers=auth)

    threads = [threading.Thread(target=send, args=(host,)) for host in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [answers[h][0] for h in (a, b)] == [200, 200], answers
    assert {json.loads(answers[h][2])["result"] for h in (a, b)} == {"ok"}
    again = {"token": deployment["ticket"], "nonce": f"smoke-{uuid.uuid4().hex}"}
    status, _, body = Browser().request(f"{b}/api/v1/checkins", json_body=again, headers=auth)
    assert json.loads(body)["result"] == "already"
    with deployment["app"].app_context():
        logged = db.session.scalars(select(CheckIn.result).where(CheckIn.nonce == scan["nonce"]))
        assert list(logged) == ["ok"]
        assert db.session.scalar(select(func.count()).where(CheckIn.result == "ok")) == 1
        db.engine.dispose()

    # A packet started on A runs on the worker; killed mid-job, the restarted worker
    # finishes it; B shows its progress and serves the file.
    token = organizer.csrf(f"{a}/manage/p/big/packets")
    status, headers, body = organizer.request(
        f"{a}/manage/p/big/packets/generate",
        data={
            "csrf_token": token,
            "official": "",
            "scope": "everyone",
            "paper": "letter",
            "sort_order": "",
        },  # fmt: skip
    )
    assert status == 302, body[:500]
    job_id = int(re.search(r"/jobs/(\d+)$", headers["Location"]).group(1))
    job_url = f"{b}/manage/p/big/packets/jobs/{job_id}.json"

    def job():
        return organizer.get_json(job_url)

    first = wait_for(
        "the worker to start the job", lambda: (s := job())["status"] != "queued" and s
    )
    assert first["status"] == "running", first
    procs.kill(worker)  # SIGKILL to the worker and its work horse, mid-job
    assert job()["status"] == "running"  # abandoned: nothing will finish it by itself
    deployment["start_worker"]()  # the same command, so the same name
    done = wait_for("the restarted worker to finish the job",
                    lambda: (s := job())["status"] in ("done", "failed") and s)  # fmt: skip
    assert done["status"] == "done", done
    assert done["done"] == PACKET_ROWS
    assert "was abandoned by a previous run of this worker" in procs.log("worker", "out")
    status, headers, pdf = organizer.get(f"{b}{done['download_url']}")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
