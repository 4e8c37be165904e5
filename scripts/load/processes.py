"""Servers run as child processes: each in its own process group, its output in a log file.

Shared by the load test and the cluster test (scripts/cluster_test.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from load.browser import Browser
from load.django_env import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGTERM) -> None:
        """Signal the whole group (gunicorn's workers too); SIGKILL after 15 s."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self) -> str:
        return self.log_text()[-3000:]


def start(
    name: str,
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log_dir: Path | None = None,
) -> Process:
    """Start `command` in a new session; its output goes to `<log_dir or cwd>/<name>.log`."""
    cwd.mkdir(parents=True, exist_ok=True)
    log = (log_dir or cwd) / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, popen, log)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """gunicorn serving the application on 127.0.0.1:`port`."""

    port: int
    process: Process

    def log_text(self) -> str:
        return self.process.log_text()


@contextmanager
def gunicorn(env: dict[str, str], workdir: Path, *, workers: int = 3) -> Iterator[Server]:
    """gunicorn on 127.0.0.1 and a free port; stopped (its own process group) on exit."""
    port = free_port()
    command = [
        str(GUNICORN) if GUNICORN.exists() else "gunicorn",
        "caselog.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    server = Server(port, start("gunicorn", command, cwd=ROOT, env=env, log_dir=workdir))
    try:
        _wait_until_up(server)
        yield server
    finally:
        server.process.kill()


@contextmanager
def background_worker(env: dict[str, str], workdir: Path) -> Iterator[Process]:
    """`manage.py run_worker` beside the server, as in production: it sends the e-mails."""
    command = [sys.executable, "manage.py", "run_worker", "--verbosity", "0"]
    process = start("worker", command, cwd=ROOT, env=env, log_dir=workdir)
    try:
        yield process
    finally:
        process.kill()


def _wait_until_up(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.process.alive():
            raise RuntimeError(f"gunicorn exited:\n{server.log_text()[-4000:]}")
        try:
            Browser(server.port).get("/accounts/login/")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{server.log_text()[-4000:]}")
