"""gunicorn settings; every value can be set from the environment.

``borsellino serve`` uses this file. Workers are processes; recycle them now and then, with jitter
so they don't all restart at once.
"""

import multiprocessing
import os

bind = os.environ.get("BORSELLINO_BIND", "127.0.0.1:8000")
# One worker per core plus one (to run while another waits on PostgreSQL), not 2n+1:
# the app is CPU-bound, and on 2 cores five workers cost ~30 % more CPU per ticket
# purchase than three in the same rush (gunicorn + PostgreSQL CPU per purchase,
# docs/benchmarks.md "A lean request path, third round").
workers = int(os.environ.get("BORSELLINO_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("BORSELLINO_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
max_requests = int(os.environ.get("BORSELLINO_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("BORSELLINO_MAX_REQUESTS_JITTER", "200"))
timeout = int(os.environ.get("BORSELLINO_WORKER_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Request limits above the app's (backend/request_guard.py: 4096-character URLs, 8 KB
# headers), so a client over the app's limits gets its JSON 414/431; only past these
# gunicorn answers itself (a short plain-text/HTML 400 page that never reaches the app).
limit_request_line = 8190  # gunicorn's maximum
limit_request_field_size = 16380
limit_request_fields = 100
# The app writes its own JSON request log; gunicorn's own messages go to stdout too.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("BORSELLINO_LOG_LEVEL", "info").lower()
# gunicorn's control socket lives under $HOME by default: two servers on one
# machine would collide. Off unless a path is given.
_control = os.environ.get("BORSELLINO_CONTROL_SOCKET", "")
if _control:
    control_socket = _control
else:
    control_socket_disable = True


def post_worker_init(worker):
    # Configure the mappers, open a connection and compile the hot reads before the first
    # request (backend/web/warmup.py): a fresh worker's first purchase cost ~400 ms of CPU.
    # A database not yet reachable must not keep the worker from serving: it warms on use.
    from backend.web.warmup import warm_up

    try:
        warm_up(worker.wsgi)
    except Exception:
        worker.log.warning("warm-up skipped", exc_info=True)
