"""Processes started by the tests that run the deployment's own commands: each in a
session of its own, killed as systemd kills a unit's cgroup, logs kept to read."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.deploy_helpers import ROOT

DEADLINE = 45


def wait_for(what, check, limit=DEADLINE):
    deadline = time.monotonic() + limit
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def session_pids(sid: int) -> list[int]:
    """Every process in the session, as systemd's cgroup would hold them: RQ's work horse
    runs in a process group of its own."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            pids.append(int(stat.parent.name))
    return pids


class Processes:
    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict, cwd: Path = ROOT) -> subprocess.Popen:
        out = open(self.logs / f"{name}.out", "ab")
        err = open(self.logs / f"{name}.err", "ab")
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True
        )
        proc.name = name
        out.close()
        err.close()
        self.started.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
        for pid in session_pids(proc.pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if sig == signal.SIGKILL:
            proc.wait(10)
            wait_for(f"{proc.name}'s children to die", lambda: not session_pids(proc.pid), 10)

    def log(self, name: str, stream: str = "err") -> str:
        return (self.logs / f"{name}.{stream}").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.started:
            self.kill(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.started:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            self.kill(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
