"""Gunicorn settings shared by the portal and the bare app: only the app differs.

Why 4 gthread workers x 4 threads on a 2-core machine: Python runs one thread per
process at a time (the GIL), so two cores want at least two processes; each request
also waits on PostgreSQL (several round trips on the same two cores), and while one
waits another can run. Four processes (the classic 2 x cores) keep both cores busy
without thrashing them against PostgreSQL and wrk, which share the cores; a few
threads per process cover the database waits and, unlike sync workers, keep
connections alive, so wrk's 32 connections are not reopened on every request
(4 sync workers gave the bare app about half the catalog throughput). 2 x 8 and
6 x 1 measured the same within the noise; see bench/README.md.
BENCH_WORKERS, BENCH_WORKER_CLASS and BENCH_THREADS override this for experiments.
"""

import gc
import os

workers = int(os.environ.get("BENCH_WORKERS", "4"))
worker_class = os.environ.get("BENCH_WORKER_CLASS", "gthread")
threads = int(os.environ.get("BENCH_THREADS", "4"))
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
