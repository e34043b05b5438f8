"""Real app servers for tests: ``borsellino serve`` (gunicorn) on 127.0.0.1, stopped afterwards."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The same secrets on every server: a token issued by one verifies on the others.
SECRET = "two-servers-secret-0123456789abcdef0123456789"
JWT_KEYS = "srv:two-servers-jwt-key-0123456789abcdef01234567"


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def redis_or_skip(url: str, *, flush: bool = False) -> None:
    """Skip when no Redis answers at ``url``; empty its database first when ``flush``."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis at {url} ({exc})")
    if flush:
        client.flushdb()


@contextmanager
def app_server(database_url: str, port: int, ratelimit_storage_uri: str, workers: int = 1):
    """Yield the base URL of a gunicorn serving the app; the port must be free."""
    if _answers(port):
        raise RuntimeError(f"port {port} already answers: another server would be tested instead")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BORSELLINO_SECRET_KEY": SECRET,
        "BORSELLINO_JWT_KEYS": JWT_KEYS,
        "BORSELLINO_BIND": f"127.0.0.1:{port}",
        "BORSELLINO_WORKERS": str(workers),
        "BORSELLINO_LOG_LEVEL": "WARNING",
        "BORSELLINO_RATELIMIT_STORAGE_URI": ratelimit_storage_uri,
        "BORSELLINO_DATABASE_POOL_SIZE": "2",
    }
    env.pop("BORSELLINO_CONTROL_SOCKET", None)
    borsellino = Path(sys.executable).with_name("borsellino")
    log = tempfile.TemporaryFile()  # a file, not a pipe: a full pipe would stall the server
    process = subprocess.Popen(
        [str(borsellino), "serve"], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
    )
    try:
        for _ in range(600):
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError("server exited: " + log.read().decode()[-2000:])
            if _answers(port):
                break
            time.sleep(0.1)  # waiting for a process to start listening, not for a race
        else:
            raise RuntimeError("server did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
