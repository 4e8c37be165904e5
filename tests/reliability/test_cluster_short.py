"""`make cluster-test`, short: two app nodes, a worker, PostgreSQL, Redis, S3 (moto), SMTP.

About 45 s, so it runs in the PostgreSQL half of the suite only; the full run
(20 s of load, 8 clients) is `make cluster-test` (scripts/cluster_test.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_available() -> bool:
    """A Redis that answers, or a redis-server the script can start."""
    if shutil.which("redis-server"):
        return True
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not DATABASE_URL.startswith("postgres"), reason="needs PostgreSQL")
@pytest.mark.skipif(not redis_available(), reason="needs Redis (or redis-server to start one)")
def test_two_nodes_share_sessions_files_lockouts_and_lose_nothing_when_one_dies():
    # A database of its own beside the suite's, on the same server.
    name = urlsplit(DATABASE_URL).path.lstrip("/") or "caselog"
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [
            sys.executable,
            str(ROOT / "scripts" / "cluster_test.py"),
            "--pg-url",
            DATABASE_URL,
            "--pg-name",
            f"{name}_cluster",
            "--seconds",
            "4",
            "--clients",
            "4",
            "--redis-url",
            REDIS_URL,
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["errors"] == 0
    assert figures["messages_acknowledged"] > 0
    assert figures["acknowledged_and_stored"] == figures["messages_acknowledged"]
    assert figures["stored_twice"] == 0
    assert figures["orphan_objects_left"] == 0
    assert figures["attachment_rows"] == figures["s3_objects"]
    assert figures["emails_received"] == figures["messages_stored"]
    assert figures["emails_repeated"] == 0
