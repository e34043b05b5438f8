"""What the benchmarks share: the app's settings and a gunicorn server started the production way.

Both sides (the bench script preparing data and issuing tokens, and the
gunicorn it starts) use the same secret and JWT keys, so tokens verify.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
JWT_KEYS = "bench:bench-jwt-key-0123456789abcdef0123456789"
TOKEN_MINUTES = 180  # longer than any run, so no token expires mid-benchmark


def settings(url: str):
    from backend.config import Settings

    return Settings(
        database_url=url,
        secret_key=SECRET,
        jwt_keys=JWT_KEYS,
        log_level="WARNING",
        access_token_minutes=TOKEN_MINUTES,
        database_pool_size=4,
    )


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


# The production default (backend/gunicorn_conf.py): one worker per core plus one.
DEFAULT_WORKERS = (os.cpu_count() or 2) + 1


def serve(url: str, port: int, workers: int, app: str = "backend.wsgi:app", **extra_env: str) -> subprocess.Popen:
    """gunicorn with ``backend/gunicorn_conf.py`` serving ``app`` on ``port``; stop it with ``stop(process)``."""
    if _answers(port):
        raise SystemExit(f"port {port} already answers: another server would be measured instead of ours")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BORSELLINO_SECRET_KEY": SECRET,
        "BORSELLINO_JWT_KEYS": JWT_KEYS,
        "BORSELLINO_BIND": f"127.0.0.1:{port}",
        "BORSELLINO_WORKERS": str(workers),
        "BORSELLINO_LOG_LEVEL": "WARNING",
        "BORSELLINO_DATABASE_POOL_SIZE": "2",
        "BORSELLINO_MAX_REQUESTS": "0",
        "BORSELLINO_ACCESS_TOKEN_MINUTES": str(TOKEN_MINUTES),
        **extra_env,
    }
    env.pop("BORSELLINO_CONTROL_SOCKET", None)
    argv = [str(REPO / ".venv/bin/gunicorn"), "-c", str(REPO / "backend/gunicorn_conf.py"), app]
    process = subprocess.Popen(
        argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        for _ in range(300):
            if process.poll() is None and _answers(port):
                return process
            time.sleep(0.1)
    except BaseException:  # interrupted while the workers boot: never leave the server running
        stop(process)
        raise
    stop(process)
    raise SystemExit("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)
