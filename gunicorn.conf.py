"""Gunicorn settings of the portal in production; gunicorn reads ./gunicorn.conf.py
by itself, so the Dockerfile's and `make demo`'s command lines need not name it."""

import gc


def post_worker_init(worker):
    """Move everything the app has built by now (modules, mappers, compiled
    templates: over a million objects) out of the cyclic collector's reach. A full
    collection otherwise walks them all: 100 ms and more with the GIL held, during
    which every request of that worker waits. Requests' own garbage is still
    collected."""
    gc.freeze()
