"""Shared plumbing for the benchmarks: throwaway databases, gunicorn servers, the app at
another git revision (for A/B runs) and wrk load runs."""

import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
WRK_SCRIPTS = ROOT / "bench" / "wrk"


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


def app_env(database_url: str, instance: Path, tree: Path = ROOT) -> dict:
    """The environment of the app in `tree` (this checkout or an exported revision): its
    `petitions` package comes first on the path, ahead of the venv's editable install."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret",
        PETITIONS_INSTANCE=str(instance),
        FLASK_RATELIMIT_ENABLED="false",
        PYTHONPATH=str(tree),
    )
    return env


def flask(args: list[str], env: dict, tree: Path = ROOT) -> str:
    out = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=tree, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout


def python(code: str, env: dict, tree: Path = ROOT, *args: str) -> str:
    """Run `code` with the venv's Python in `tree`, as the app there would run."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tree, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


def check_imports_from(tree: Path, env: dict) -> None:
    """The venv has an editable install of this checkout: make sure the app in `tree` runs
    its own `petitions` package, not that one."""
    where = Path(python("import petitions; print(petitions.__file__)", env, tree))
    if not where.resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"the app in {tree} imports petitions from {where}")


def git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def describe(rev: str = "HEAD") -> str:
    """A short commit id; for the working tree, marked when it has uncommitted changes."""
    short = git("rev-parse", "--short", rev)
    if rev == "HEAD" and git("status", "--porcelain", "--untracked-files=no"):
        short += " + uncommitted changes"
    return short


def export_tree(rev: str, dest: Path) -> str:
    """The files of git revision `rev` in `dest` (git archive: no worktree to clean up in
    the repository); returns the commit id."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    dest.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    finally:
        archive.stdout.close()
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {rev} failed")
    return commit


def wait_for_port(port: int, timeout: float = 20, proc: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


@contextmanager
def gunicorn(app_spec: str, env: dict, workers: int = 2, cwd: Path = ROOT):
    """Serve app_spec from `cwd` with gunicorn (sync workers) on a free port; yields the
    port. The server is stopped on the way out, whatever happened."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--chdir", str(cwd), "--log-level", "warning", app_spec],
        cwd=cwd, env=env,
    )  # fmt: skip
    try:
        wait_for_port(port, proc=proc)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def exit_on_sigterm() -> None:
    """A SIGTERM unwinds like Ctrl-C, so servers, databases and temporary trees are removed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


@dataclass
class WrkResult:
    requests: int  # answered
    acknowledged: int  # answered 2xx/3xx
    seconds: float  # first request sent .. last answer received
    p50_ms: float
    p99_ms: float
    max_ms: float
    unanswered: int  # sent, but answered only after wrk exited (see bench/wrk/common.lua)
    errors: int  # answered 4xx/5xx, plus wrk's connect, read, write and timeout errors
    exhausted: bool  # a script ran out of prepared data (tickets) before its deadline
    kinds: dict | None = None  # per request kind, from scripts that print BENCH_KINDS

    @property
    def req_per_s(self) -> float:
        return self.requests / self.seconds


def run_wrk(port: int, script: str, path: str, seconds: int, connections: int, threads: int = 2,
            **params) -> WrkResult:  # fmt: skip
    """Load 127.0.0.1:port/path with wrk and bench/wrk/<script> for `seconds`.

    The script sends requests until its deadline, then stops sending; wrk runs a second
    longer, so the requests sent have been answered when it exits (see bench/wrk/common.lua
    for the exception, counted as unanswered), and the server's database can be compared
    with what was acknowledged. `params` reach the script as BENCH_<NAME> environment
    variables.
    """
    threads = min(threads, connections)
    env = dict(os.environ, BENCH_SECONDS=str(seconds), BENCH_THREADS=str(threads))
    env["BENCH_CONNECTIONS"] = str(connections // threads)  # per thread
    env.update({f"BENCH_{k.upper()}": str(v) for k, v in params.items()})
    duration = seconds + 1
    out = subprocess.run(
        [shutil.which("wrk") or "wrk", "-t", str(threads), "-c", str(connections),
         "-d", f"{duration}s", "--timeout", "10s", "-s", str(WRK_SCRIPTS / script),
         f"http://127.0.0.1:{port}{path}"],
        env=env, capture_output=True, text=True, timeout=duration + 60,
    )  # fmt: skip
    settle(port)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    lines = [line for line in out.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if not lines:
        raise RuntimeError(f"no summary from wrk:\n{out.stdout}\n{out.stderr}")
    r = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    e = r["errors"]
    return WrkResult(
        requests=r["requests"],
        acknowledged=r["requests"] - e["status"],
        seconds=r["seconds"] if r["seconds"] > 0 else math.nan,
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        max_ms=r["max_us"] / 1000,
        unanswered=r["sent"] - r["requests"],
        errors=e["status"] + e["connect"] + e["read"] + e["write"] + e["timeout"],
        exhausted=r["exhausted"] > 0,
        kinds=next(
            (
                json.loads(line.removeprefix("BENCH_KINDS "))
                for line in out.stdout.splitlines()
                if line.startswith("BENCH_KINDS ")
            ),
            None,
        ),
    )


def settle(port: int) -> None:
    """Wait until the server has taken in every connection wrk left in its accept queue
    (a request sent last is behind them; see bench/wrk/common.lua): a request of our own
    joins the queue at its end, and is answered after them. Any path will do."""
    for _ in range(2):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", "/bench-settle")
            conn.getresponse().read()
        finally:
            conn.close()


def prepare_app(tree: Path, kind: str, workdir: Path, databases: ExitStack) -> tuple[dict, str]:
    """A throwaway database migrated by the app in `tree` (its own migrations); returns the
    app's environment and the database URL."""
    workdir.mkdir(parents=True)
    url = databases.enter_context(throwaway_database(kind, workdir))
    env = app_env(url, workdir, tree)
    check_imports_from(tree, env)
    flask(["db", "upgrade"], env, tree)
    return env, url


def prepare_baseline(kind: str, workdir: Path, databases: ExitStack) -> tuple[dict, str]:
    """A throwaway database with bench/baseline_apps.py's tables; returns its environment
    and the database URL."""
    workdir.mkdir(parents=True)
    url = databases.enter_context(throwaway_database(kind, workdir))
    db = url.replace("sqlite:///", "").replace("postgresql+psycopg://", "postgresql://")
    env = dict(app_env(url, workdir), BASELINE_DB=db)
    subprocess.run([sys.executable, "bench/baseline_apps.py"], cwd=ROOT, env=env, check=True)
    return env, url


def count_rows(url: str, sql: str) -> int:
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.scalar(sqlalchemy.text(sql))
    finally:
        engine.dispose()


def alternating_rounds(names: list[str], rounds: int, run_one) -> dict[str, list]:
    """run_one(name, round) for every server in every round. The servers take turns, so each
    sees the same background noise (these machines are shared), in an order reversed every
    other round: whatever a run leaves behind (a database vacuuming, caches) weighs on the
    one after it, and each server follows each other one equally often."""
    results: dict[str, list] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            results[name].append(run_one(name, r))
    return results


def median_ratio(a: list[WrkResult], b: list[WrkResult]) -> dict:
    """Throughput of a over b: the median of the rounds' ratios, and each round's."""
    ratios = [round(x.req_per_s / y.req_per_s, 2) for x, y in zip(a, b, strict=True)]
    return {"median": statistics.median(ratios), "rounds": ratios}


def summarize(results: list[WrkResult]) -> dict:
    """Medians over the rounds (each figure on its own), plus every round's throughput and p99."""
    return {
        "req_per_s": round(statistics.median(r.req_per_s for r in results), 1),
        "p50_ms": round(statistics.median(r.p50_ms for r in results), 2),
        "p99_ms": round(statistics.median(r.p99_ms for r in results), 2),
        "rounds_req_per_s": [round(r.req_per_s, 1) for r in results],
        "rounds_p99_ms": [round(r.p99_ms, 2) for r in results],
        "max_ms": round(max(r.max_ms for r in results), 1),
        "exhausted": any(r.exhausted for r in results),
    }


def rows_check(s: dict) -> str:
    """The table's integrity cell: stored rows against acknowledged requests, plus the few
    sent last and answered only after wrk had gone (see bench/wrk/common.lua)."""
    stored, acked, late = s["stored"], s["acknowledged"], s["unanswered"]
    if s.get("checked_in", stored) != stored:  # check-ins: one attendee checked in per "ok"
        return f"**no**: {stored} ok check-ins, {s['checked_in']} attendees checked in"
    if stored != acked + late:
        return f"**no**: {stored} stored, {acked} acknowledged + {late} unanswered"
    return f"yes, {stored:,}" + (f" ({late} answered after wrk left)" if late else "")


def markdown_report(title: str, report: dict, extra: dict | None = None) -> str:
    """The run as a table for BENCHMARKS.md: per database and server, the medians over the
    rounds, the ratios (median of the rounds' ratios), errors and the rows check; then the
    ratios of each round. `extra` adds columns: header -> function of a server's figures."""
    extra = extra or {}
    header = ["DB", "server", "req/s", "p50 ms", "p99 ms", "× baseline"]
    header += ["new/old"] if report["old"] else []
    header += [*extra, "errors", "rows stored = acknowledged"]
    rows, notes = [], []
    for kind, servers in report["runs"].items():
        for name, s in servers.items():
            row = [kind, name, s["req_per_s"], s["p50_ms"], s["p99_ms"]]
            row.append(s["vs_baseline"]["median"] if "vs_baseline" in s else "")
            if report["old"]:
                row.append(s["vs_old"]["median"] if "vs_old" in s else "")
            row += [f(s) for f in extra.values()]
            row += [s["errors"], rows_check(s)]
            rows.append(row)
            for key in ("vs_baseline", "vs_old"):
                if key in s:
                    ratios = ", ".join(f"{x:.2f}" for x in s[key]["rounds"])
                    notes.append(f"- {kind}, {name} / {key.removeprefix('vs_')} by round: {ratios}")

    def cell(v):
        if isinstance(v, float):
            return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    lines = [title, "", f"Machine: {report['machine']}. New: {report['new']}."]
    if report["old"]:
        lines[-1] += f" Old: {report['old']}."
    lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join([*lines, "", *notes])
