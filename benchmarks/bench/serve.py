"""Throughput: gunicorn with 2 workers on loopback, the log page beside a bare hello view.

The load comes from wrk when it is installed, from Python threads otherwise.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.setup import BENCH_DIR, ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load(url: str, seconds: float, cookie: str | None) -> dict[str, Any]:
    """Requests/s against `url`: wrk (2 threads, 8 connections) or a Python fallback."""
    wrk = shutil.which("wrk")
    if wrk:
        command = [wrk, "-t2", "-c8", f"-d{max(1, round(seconds))}s", "--latency"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
        p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
        p50_ms = None
        if p50:
            p50_ms = float(p50.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
        return {
            "tool": "wrk -t2 -c8",
            "rps": rate,
            "errors": int(bad.group(1)) if bad else 0,
            "p50_ms": p50_ms,
        }
    # Fallback: 8 threads with keep-alive connections (slower than wrk).
    parts = urlsplit(url)
    stop = time.perf_counter() + seconds
    counts, errors = [0] * 8, [0] * 8

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port)
        headers = {"Cookie": cookie} if cookie else {}
        while time.perf_counter() < stop:
            conn.request(
                "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers
            )
            response = conn.getresponse()
            response.read()
            counts[index] += 1
            errors[index] += response.status != 200

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "tool": "python, 8 threads",
        "rps": sum(counts) / seconds,
        "errors": sum(errors),
        "p50_ms": None,
    }


def measure_serve(user: Any, seconds: float) -> dict[str, Any]:
    """gunicorn, 2 workers on loopback: the log page beside a bare hello view, same run."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    if "sqlite" in settings.DATABASES["default"]["ENGINE"] and str(
        settings.DATABASES["default"]["NAME"]
    ).startswith((":memory:", "file:memory")):
        raise RuntimeError("the throughput measure needs a database another process can open")
    key = secrets.token_urlsafe(50)
    with override_settings(SECRET_KEY=key):  # the server signs sessions with its own key
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "serve_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": key,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CASELOG_SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "PYTHONPATH": f"{BENCH_DIR}{os.pathsep}{ROOT}",
    }
    if not env["DATABASE_URL"]:
        db = settings.DATABASES["default"]
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "caselog.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/bench-hello/", timeout=1).read()  # noqa: S310
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError(f"gunicorn did not start: {server.stderr.read()}") from None
                time.sleep(0.2)
        request = urllib.request.Request(f"{base}/cases/", headers={"Cookie": cookie})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if "/accounts/login" in response.url:
                raise RuntimeError("the log page did not load under gunicorn")
        hello = _load(f"{base}/bench-hello/", seconds, None)
        log = _load(f"{base}/cases/", seconds, cookie)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {"hello": hello, "log": log, "ratio": log["rps"] / hello["rps"], "seconds": seconds}
    print(
        f"  gunicorn x2: hello {hello['rps']:,.0f} req/s, log page {log['rps']:,.0f} req/s "
        f"({result['ratio']:.0%}), errors {hello['errors']}/{log['errors']}"
    )
    return result
