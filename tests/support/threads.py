"""Run requests at the same moment from real threads (the PostgreSQL race tests)."""

from __future__ import annotations

import threading


def race(app, calls):
    """Call each ``call(client)`` in its own thread, all released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        client = app.test_client()
        barrier.wait()
        results[i] = call(client)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
