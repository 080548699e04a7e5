"""Latency at a fixed offered rate: requests due on a schedule, 32 keep-alive clients.

wrk's clients are a closed loop: each sends its next request when the last is
answered, so at saturation the latency is the queue that the clients themselves
build (Little's law: mean = clients / throughput). A latency target is a statement
about a given load instead. Here requests fall due at `rate` per second (Poisson
arrivals from a seeded generator, as independent users send them), whichever of the
clients' connections is free sends the next one due, and a request's latency counts
from when it was due, not from when a connection was free to send it: a server that
falls behind is charged for the whole wait (no coordinated omission, as in wrk2).

One asyncio loop in the benchmark's own process; at 100 requests/s it uses a few
percent of a core.
"""

import asyncio
import json
import random

STOP = object()


class Connection:
    """One HTTP/1.1 keep-alive connection; answers must carry Content-Length
    (gunicorn's do for Flask responses)."""

    def __init__(self, host, port):
        self.address = (host, port)
        self.reader = self.writer = None

    async def exchange(self, raw):
        """Send one request, return (status, body); reconnects when needed."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(*self.address)
        self.writer.write(raw)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("server closed the connection")
        status = int(status_line.split()[1])
        length, closing = None, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.lower() == "close":
                closing = True
        if length is None:
            raise ValueError("answer without Content-Length")
        body = await self.reader.readexactly(length)
        if closing:
            self.close()
        return status, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _client(connection, queue, record, timeout):
    while (job := await queue.get()) is not STOP:
        due, raw = job
        try:
            status, body = await asyncio.wait_for(connection.exchange(raw), timeout)
        except TimeoutError:
            connection.close()
            record(due, None, "timeout")
            continue
        except (OSError, ValueError, asyncio.IncompleteReadError) as error:
            connection.close()
            record(due, None, f"socket: {error}")
            continue
        record(due, status, body)
    connection.close()


async def _run(host, port, build_request, rate, seconds, clients, seed, timeout):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    latencies, failures = [], []

    def record(due, status, body):
        latencies.append(loop.time() - due)
        if status is None or not 200 <= status < 300:
            failures.append((status, body if isinstance(body, str) else body.decode()[:300]))

    workers = [
        asyncio.create_task(_client(Connection(host, port), queue, record, timeout))
        for _ in range(clients)
    ]
    arrivals = random.Random(seed)
    start = loop.time()
    due, sent = start, 0
    while (due := due + arrivals.expovariate(rate)) < start + seconds:
        await asyncio.sleep(max(0.0, due - loop.time()))
        queue.put_nowait((due, build_request(sent)))
        sent += 1
    for _ in workers:
        queue.put_nowait(STOP)
    await asyncio.gather(*workers)
    return sent, loop.time() - start, latencies, failures


def percentile(ordered, share):
    """Nearest-rank percentile of an ascending list."""
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run(host, port, build_request, rate, seconds, clients=32, seed=1, timeout=10.0):
    """Offer `rate` requests/s for `seconds`; returns a summary with the keys of
    load.lua's (latencies in microseconds) plus the offered and answered rates.
    `build_request(n)` gives the raw bytes of the n-th request."""
    sent, elapsed, latencies, failures = asyncio.run(
        _run(host, port, build_request, rate, seconds, clients, seed, timeout)
    )
    ordered = sorted(latencies)
    statuses = " ".join(str(status) for status, _ in failures[:5] if status is not None)
    return {
        "requests": len(ordered),
        "duration_us": int(elapsed * 1e6),
        "offered_rps": sent / seconds,
        "answered_rps": len(ordered) / elapsed,
        "p50_us": int(percentile(ordered, 0.50) * 1e6) if ordered else 0,
        "p90_us": int(percentile(ordered, 0.90) * 1e6) if ordered else 0,
        "p99_us": int(percentile(ordered, 0.99) * 1e6) if ordered else 0,
        "max_us": int(ordered[-1] * 1e6) if ordered else 0,
        "mean_us": sum(ordered) / len(ordered) * 1e6 if ordered else 0.0,
        "non2xx": sum(1 for status, _ in failures if status is not None),
        "socket_errors": sum(1 for status, body in failures if body.startswith("socket")),
        "timeouts": sum(1 for status, body in failures if body == "timeout"),
        "statuses": statuses,
        "sample": failures[0][1] if failures else "",
    }


def request_builder(scenario, tokens, tag, port):
    """`build_request(n)` for a scenario, as load.lua builds wrk's: the n-th request
    carries the n-th token in turn; a submission names a volume of its own."""
    host = f"Host: 127.0.0.1:{port}\r\n"

    def build(number):
        head = f"{host}Authorization: Bearer {tokens[number % len(tokens)]}\r\n"
        if scenario != "submit":
            path = "/api/v1/catalog/items" if scenario == "catalog" else "/api/v1/orders"
            return f"GET {path} HTTP/1.1\r\n{head}\r\n".encode()
        body = json.dumps(
            {
                "item": "volume",
                "parameters": {
                    "volume_name": f"p-{tag}-{number}",
                    "size_gb": 10,
                    "volume_type": "standard",
                    "purpose": "bench",
                },
            }
        ).encode()
        return (
            f"POST /api/v1/orders HTTP/1.1\r\n{head}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    return build
