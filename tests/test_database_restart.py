"""PostgreSQL restarted, or stopped, under the app: a clear 503, nothing acknowledged lost,
shared pages from their last rendering, /healthz naming the database, recovery by itself.

Each test starts a throwaway cluster of its own (initdb, pg_ctl on a free port), never
the machine's shared server. It runs in the PostgreSQL pass of `make test`
(TEST_DB=postgres), where CI (REQUIRE_POSTGRES=1) makes a missing initdb a failure.
Waits poll against a deadline (a safety net for a hung process, not a timing assertion),
except the one the issue asks for: /healthz is 200 again within 5 s of the restart.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade

from petitions import create_app
from petitions.core.extensions import cache, db
from petitions.models import Petition, PetitionStatus, Signature
from tests.conftest import USE_POSTGRES, _test_config
from tests.deploy_helpers import ROOT, exec_start
from tests.processes import Processes, free_port, wait_for
from tests.test_html_valid import check, vnu  # noqa: F401  (vnu: the validator fixture)

pytestmark = pytest.mark.skipif(
    not USE_POSTGRES, reason="the restart tests run in the PostgreSQL pass (TEST_DB=postgres)"
)

# What no answer may show: driver text, tracebacks.
LEAKS = ("psycopg", "OperationalError", "Traceback", "server closed", "sqlalchemy", "57P0")
SIGNERS = 6


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found[-1]:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL's {name} is not installed")
        pytest.skip(f"PostgreSQL's {name} is not installed")
    return found[-1]


class Cluster:
    """A PostgreSQL cluster in a temporary directory, on a port of its own."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="petitions-pg-"))
        self.port = free_port()
        self.as_postgres = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.pg_ctl = _pg_bin("pg_ctl")
        self._run(_pg_bin("initdb"), "-D", self.dir / "data", "-U", "postgres", "--auth=trust")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv):
        subprocess.run(
            [*self.as_postgres, *map(str, argv)], check=True, capture_output=True, timeout=60
        )

    def _ctl(self, *args):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        data, log = self.dir / "data", self.dir / "log"
        self._run(self.pg_ctl, "-D", data, "-l", log, "-o", options, "-w", *args)

    def start(self):
        self._ctl("start")

    def stop(self):
        self._ctl("-m", "fast", "stop")

    def restart(self):
        self._ctl("-m", "fast", "restart")

    def remove(self):
        try:
            self._ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    """The cluster, migrated, with one published petition "seats"; and its app."""
    cluster = Cluster()
    try:
        cluster.start()
        monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
        app = create_app(
            {**_test_config(cluster.url, tmp_path), "PUBLIC_CACHE_SECONDS": 1, "SERVER_NAME": None}
        )
        with app.app_context():
            upgrade()
            for slug in ("seats", "other"):
                db.session.add(
                    Petition(
                        slug=slug,
                        title="More magnet seats",
                        summary="Seats.",
                        body="<p>Seats.</p>",
                        addressed_to="State Board of Education",
                        goal=100,
                        status=PetitionStatus.PUBLISHED,
                    )  # fmt: skip
                )
            db.session.commit()
        # Requests run without an app context held open: each has its own `g`, as served.
        cluster.app = app
        yield cluster
        with app.app_context():
            db.engine.dispose()
    finally:
        cluster.remove()


def _no_leaks(body: str):
    for leak in LEAKS:
        assert leak.lower() not in body.lower(), (leak, body[:500])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, fields: dict) -> tuple[int, dict, str]:
    data = urllib.parse.urlencode(fields).encode()
    try:
        with _opener.open(url, data=data, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def _healthz(base: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def test_restart_under_load_answers_503_and_loses_nothing_acknowledged(cluster, tmp_path):
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": "restart-test",
        "DATABASE_URL": cluster.url,
        "PETITIONS_INSTANCE": str(tmp_path),
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_RATELIMIT_ENABLED": "false",  # one address signs as fast as it can
        "FLASK_MAIL_DUE_CHECK_SECONDS": "0",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    argv = exec_start("petitions-web.service", env)
    argv[0] = str(Path(sys.executable).parent / "gunicorn")  # this venv's, with the unit's config
    base = f"http://127.0.0.1:{port}"
    procs = Processes(tmp_path)
    procs.start("web", argv, env)
    answers: list[tuple[str, int, dict, str]] = []
    stop = threading.Event()

    def signer(n: int):
        i = 0
        while not stop.is_set():
            i += 1
            email = f"signer{n}-{i}@example.org"
            fields = {"given_name": f"Ana{n}", "family_name": f"Díaz{i}", "email": email,
                      "postal_code": "06106", "town": "Hartford", "website": ""}  # fmt: skip
            status, headers, body = _post(f"{base}/p/seats/sign", fields)
            answers.append((email, status, headers, body))

    def acknowledged() -> int:
        return sum(1 for _e, status, _h, _b in answers if status in (302, 303))

    threads = [threading.Thread(target=signer, args=(n,)) for n in range(SIGNERS)]
    try:
        wait_for("gunicorn to answer /healthz", lambda: _healthz(base) == 200)
        for t in threads:
            t.start()
        wait_for("signatures before the restart", lambda: acknowledged() >= 60)
        cluster.restart()
        restarted = time.monotonic()
        wait_for("/healthz after the restart", lambda: _healthz(base) == 200, 5)
        assert time.monotonic() - restarted <= 5
        after = acknowledged()
        wait_for("signatures after the restart", lambda: acknowledged() >= after + 60)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        procs.stop_all()

    failed = [(status, headers, body) for _e, status, headers, body in answers
              if status not in (302, 303)]  # fmt: skip
    for status, headers, body in failed:
        assert status == 503, body[:500]
        assert headers["Retry-After"] == "5"
    for _e, _status, _headers, body in answers:
        _no_leaks(body)
    with cluster.app.app_context():
        stored = set(db.session.scalars(db.select(Signature.email)))
    ok = {email for email, status, _h, _b in answers if status in (302, 303)}
    assert ok <= stored, sorted(ok - stored)[:10]
    # One line when the outage began and one when it ended, per worker; no tracebacks.
    log = procs.log("web")
    assert "Traceback" not in log, log[-3000:]
    assert log.count("database unavailable") == log.count("database available again") <= 2 * 2


def test_database_stopped(cluster, vnu, tmp_path):  # noqa: F811
    """Shared pages from their last rendering (old count); forms, JSON and /healthz 503."""
    app = cluster.app
    visitor = app.test_client()
    first = visitor.get("/p/seats.json").get_json()
    page = visitor.get("/es/p/seats")
    assert page.status_code == 200
    signer = app.test_client()
    data = {"given_name": "Ana", "family_name": "Díaz", "email": "ana@example.org",
            "postal_code": "06106", "town": "Hartford", "website": "http://spam"}  # fmt: skip
    assert signer.post("/p/seats/sign", data={**data, "website": ""}).status_code in (302, 303)
    cluster.stop()
    time.sleep(float(app.config["PUBLIC_CACHE_SECONDS"]) + 0.5)  # the kept pages expire

    again = visitor.get("/p/seats.json")
    assert again.status_code == 200
    assert again.get_json() == first  # the count before the last signature
    assert visitor.get("/es/p/seats").get_data() == page.get_data()

    never_shown = visitor.get("/p/other.json")  # no rendering kept: JSON 503
    assert never_shown.status_code == 503
    assert never_shown.headers["Retry-After"] == "5"
    assert never_shown.get_json() == {"error": never_shown.get_json()["error"], "status": 503}
    _no_leaks(never_shown.get_data(as_text=True))

    r = visitor.get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["checks"]["database"] == "failed"

    # The petition cannot be read either (the cached petition is gone too, as after
    # COUNT_CACHE_SECONDS; before that a filled honeypot would be thanked without a
    # query): a page that sends the same fields again.
    with app.app_context():
        cache.clear()
    r = signer.post("/es/p/seats/sign", data={**data, "email": "bea@example.org"})
    html = r.get_data(as_text=True)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert "No pudimos guardarlo en este momento" in html
    assert 'name="email" value="bea@example.org"' in html
    assert 'name="family_name" value="Díaz"' in html
    assert "spam" not in html and 'name="website"' not in html  # not the honeypot
    _no_leaks(html)

    r = visitor.get("/es/")  # a page never kept: the short page, in the visitor's language
    assert r.status_code == 503
    assert "no puede conectarse a su base de datos" in r.get_data(as_text=True)
    pages = {"send again": html, "unavailable": r.get_data(as_text=True)}
    assert check(vnu, pages, tmp_path) == []

    cluster.start()
    assert visitor.get("/healthz").status_code == 200
    resent = signer.post("/es/p/seats/sign", data={**data, "email": "bea@example.org",
                                                   "website": ""})  # fmt: skip
    assert resent.status_code in (302, 303)
