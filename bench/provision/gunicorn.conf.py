"""Gunicorn for bench/provision: the portal as `make demo` runs it (2 workers x 4
threads). The API load here is light (a few clients polling), unlike bench/api's.
BENCH_WORKERS and BENCH_THREADS override it."""

import os

workers = int(os.environ.get("BENCH_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("BENCH_THREADS", "4"))
keepalive = 30  # the pollers keep their connections between polls
timeout = 60
accesslog = None
loglevel = "warning"
preload_app = False
graceful_timeout = 5
