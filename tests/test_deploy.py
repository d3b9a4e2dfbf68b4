"""deploy/: the systemd units parse, their commands exist and start, the environment
file template is valid for both systemd and the shell and configures the app."""

import shutil
import subprocess
import sys

import pytest

from tests.deploy_helpers import (
    DEPLOY,
    ROOT,
    env_variables_used,
    exec_start,
    unit_setting,
    unit_text,
)

UNITS = ["petitions-web.service", "petitions-worker.service"]
ENV_EXAMPLE = DEPLOY / "petitions.env.example"


def shell_env(path) -> dict[str, str]:
    """The variables a shell (cron's /bin/sh) gets from the file with `set -a; . file`."""
    out = subprocess.run(
        ["sh", "-c", f'set -a && . "{path}" && env -0'],
        capture_output=True, check=True, env={"PATH": "/usr/bin:/bin"},
    ).stdout.decode()  # fmt: skip
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_units_verify(tmp_path):
    for name in UNITS:
        (tmp_path / name).write_text(unit_text(name))
    r = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True, text=True,
    )  # fmt: skip
    # Unknown keys and bad values are only warnings to systemd: none is allowed here.
    assert r.returncode == 0 and r.stderr == "", r.stderr


@pytest.mark.parametrize("name", UNITS)
def test_units_name_what_exists(name):
    env = shell_env(ENV_EXAMPLE)
    assert env_variables_used(name) <= env.keys()
    argv = exec_start(name, env)
    assert (ROOT / unit_setting(name, "WorkingDirectory")).is_dir()
    assert shutil.which(argv[0]), argv[0]
    for key in ("User", "EnvironmentFile", "ReadWritePaths"):
        assert unit_setting(name, key)


def test_web_unit_command_loads_the_app(tmp_path):
    env = shell_env(ENV_EXAMPLE)
    argv = exec_start("petitions-web.service", env)
    assert argv[-1] == "wsgi:app"
    run_env = {
        "PATH": f"{sys.prefix}/bin:/usr/bin:/bin",
        "SECRET_KEY": "deploy-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PETITIONS_INSTANCE": str(tmp_path),
    }
    r = subprocess.run(
        [*argv, "--check-config"], cwd=ROOT, env=run_env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr


def test_worker_unit_command_is_rqs_own(tmp_path):
    from rq import Worker as RQWorker

    from petitions.operations.worker import Worker

    assert issubclass(Worker, RQWorker)
    argv = exec_start("petitions-worker.service", shell_env(ENV_EXAMPLE))
    assert argv[1] == "worker"
    assert argv[argv.index("--worker-class") + 1] == "petitions.operations.worker.Worker"
    assert argv[-3:] == ["packets", "mail", "webhooks"]  # the queue list, one argument each
    options = subprocess.run([argv[0], "worker", "--help"], capture_output=True, text=True).stdout
    for arg in argv:
        if arg.startswith("--"):
            assert arg in options, arg


def test_environment_file_configures_the_app(tmp_path, monkeypatch):
    from petitions import create_app

    env = shell_env(ENV_EXAMPLE)
    for key, value in env.items():
        if key.startswith("FLASK_") or key in ("SECRET_KEY", "REDIS_URL", "DATABASE_URL"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://petitions@/petitions?host=/var/run/postgresql&connect_timeout=5"
    )
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.config["REQUEST_LOG"] is True
    assert app.config["MAIL_PORT"] == 587 and app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_SENDER"] == "Hartford Schools Coalition <petitions@example.org>"
    assert app.config["RATELIMIT_STORAGE_URI"] == env["REDIS_URL"]


def test_gunicorn_config_keeps_its_access_log_off():
    settings = {}
    exec((DEPLOY / "gunicorn.conf.py").read_text(), settings)
    assert settings["accesslog"] is None  # the app's own request line has no query strings
    assert settings["bind"] == "127.0.0.1:8000"
