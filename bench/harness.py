"""Shared plumbing for the benchmarks: throwaway databases and gunicorn servers."""

import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_database(kind: str, tmp: Path):
    """Yields a SQLAlchemy URL: a fresh SQLite file or a fresh PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}"
        return
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + "/"
            + name
        )
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str, instance: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret",
        PETITIONS_INSTANCE=str(instance),
        FLASK_RATELIMIT_ENABLED="false",
    )
    return env


def flask(args: list[str], env: dict) -> str:
    out = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


@contextmanager
def gunicorn(app_spec: str, env: dict, workers: int = 2, cwd: Path = ROOT):
    """Serve app_spec with gunicorn (sync workers) on a free port; yields the port."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec],
        cwd=cwd, env=env,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
