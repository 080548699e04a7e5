"""Gunicorn settings shared by the portal and the bare app: only the app differs.

Why 6 gthread workers x 1 thread on a 2-core machine: Python runs one thread per
process at a time (the GIL), so two cores want at least two processes; each request
also waits on PostgreSQL (several round trips on the same two cores), and while one
process waits another runs. With one thread per process no thread waits for the GIL
behind another of its process: at 100 requests/s due, 6 x 1 gave a p99 of 40-52 ms for
submission where 4 x 4 gave 68-126 ms, and 16-22 ms against 37-43 for the order list,
at the same throughput (bench/README.md). Like the Dockerfile's sync workers, each
process serves one request at a time; gthread rather than sync keeps wrk's
connections alive (sync workers close them after every request: 4 of them gave the
bare app about half the catalog throughput).
BENCH_WORKERS, BENCH_WORKER_CLASS and BENCH_THREADS override this for experiments.
"""

import gc
import os

workers = int(os.environ.get("BENCH_WORKERS", "6"))
worker_class = os.environ.get("BENCH_WORKER_CLASS", "gthread")
threads = int(os.environ.get("BENCH_THREADS", "1"))
keepalive = 30  # seconds: longer than any gap between a client's requests
timeout = 60
backlog = 2048  # 32 clients never overflow it, whatever the worker class
accesslog = None  # a log line per request would be measured too
loglevel = "warning"
# The portal's and the bare app's connection pools must not be shared across fork.
preload_app = False
graceful_timeout = 5  # a stopped benchmark need not wait for idle keep-alive clients


def post_worker_init(worker):
    """As the portal's own ./gunicorn.conf.py does, for both apps: a full cyclic
    collection would otherwise walk every object the app built at start (100 ms and
    more with the GIL held, a latency spike for every request of that worker)."""
    gc.freeze()
