"""Load on the decision service over loopback. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/serve.py [--seconds 30] [--connections 8]
                                         [--batch-size 500] [--batch-connections 2×N]
                                         [--workers N] [--url http://127.0.0.1:PORT]

Starts `clausula serve --workers N` (default 1) on a free loopback port (unless `--url` names
a running service), then runs two bounded, closed-loop phases of `--seconds` each: single
decisions (`POST /v1/decide`, `--connections` keep-alive connections, each sending its next
request when the answer to the last one has arrived) and batches (`POST /v1/decide/batch`,
`--batch-connections`, default two per worker). For each it prints requests and decisions
per second, p50/p99/max latency and any non-200 answer.

The worker processes share one listening socket and the kernel hands each new connection to
one of them, at random: with few keep-alive connections, some workers may get none (with
two per worker, all land on one of two workers one time in eight).

The load generator is a minimal HTTP/1.1 client on asyncio streams (no HTTP library in the
measured path), so that the figures are the service's rather than the client's. It runs on
the same machine as the service: on a 2-core machine it takes part of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

STAGGER = 0.05  # seconds between opening two connections
ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from decide import USES  # noqa: E402  (the same four uses as benchmarks/decide.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_service(port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "clausula"),
        "serve",
        "--policies",
        str(POLICIES),
        "--port",
        str(port),
        "--log-level",
        "warning",
        *(["--workers", str(workers)] if workers > 1 else []),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the service did not start")


async def _connection(
    host: str,
    port: int,
    requests: list[bytes],
    start_at: float,
    stop_at: float,
    latencies: list[float],
    bad: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter
    index = 0
    try:
        while clock() < stop_at:
            request = requests[index % len(requests)]
            index += 1
            begin = clock()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if begin < start_at:  # still opening the other connections
                continue
            latencies.append(clock() - begin)
            if status != 200:
                bad.append(status)
    finally:
        writer.close()


def _request(host: str, path: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def phase(
    host: str, port: int, requests: list[bytes], connections: int, seconds: float
) -> tuple[list[float], list[int], float]:
    """Open the connections one by one, `STAGGER` s apart, each sending at once; measure
    from when the last one is open. (Opened all at once, the connections would all be
    accepted by whichever worker process woke first: uvicorn's workers share one listening
    socket, and a busy worker is slower to accept than an idle one.)"""
    latencies: list[float] = []
    bad: list[int] = []
    start_at = time.perf_counter() + connections * STAGGER
    stop_at = start_at + seconds
    tasks = []
    for i in range(connections):
        rotated = requests[i:] + requests[:i]
        tasks.append(
            asyncio.create_task(_connection(host, port, rotated, start_at, stop_at, latencies, bad))
        )
        await asyncio.sleep(STAGGER)
    await asyncio.gather(*tasks)
    return latencies, bad, time.perf_counter() - start_at


def service_cpu(pid: int | None) -> float | None:
    """CPU seconds used so far by the service started here and its worker processes (Linux
    /proc; None elsewhere or for `--url`). Robust to other load on the machine, unlike
    the rates, so it says what a decision costs the service whatever else is running."""
    if pid is None or not Path("/proc/self/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # the process, or a child
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def report(
    name: str,
    latencies: list[float],
    bad: list[int],
    seconds: float,
    per: int,
    cpu: float | None = None,
) -> None:
    latencies.sort()
    n = len(latencies)
    p = statistics.quantiles(latencies, n=100) if n > 1 else [0.0] * 99
    print(
        f"{name:<28} {n / seconds:>9,.0f} requests/s {n * per / seconds:>9,.0f} decisions/s   "
        f"p50 {p[49] * 1e3:6.2f} ms  p99 {p[98] * 1e3:6.2f} ms  max {latencies[-1] * 1e3:7.2f} ms"
        f"   ({n:,} requests, {len(bad)} not 200)"
    )
    if cpu is not None and n:
        cost = cpu / (n * per)
        print(
            f"{'':<28} service CPU {cost * 1e6:,.0f} µs per decision "
            f"(at most {1 / cost:,.0f} decisions/s per core)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--batch-connections", type=int, help="default: 2 per worker process (see `phase`)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of the service started here"
    )
    parser.add_argument("--url", help="a running service instead of starting one")
    args = parser.parse_args()
    batch_connections = args.batch_connections or 2 * args.workers

    process = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
    else:
        host, port = "127.0.0.1", free_port()
        process = start_service(port, args.workers)
    token = os.environ.get("CLAUSULA_TOKEN")
    if token:
        raise SystemExit("unset CLAUSULA_TOKEN for the benchmark")
    try:
        singles = [_request(host, "/v1/decide", json.dumps(u).encode()) for u in USES]
        uses: list[Any] = [USES[i % len(USES)] for i in range(args.batch_size)]
        batch = [_request(host, "/v1/decide/batch", json.dumps(uses).encode())]
        workers = f"{args.workers} worker(s)" if process is not None else "workers unknown"
        print(
            f"service on {host}:{port}, {workers}; {os.cpu_count()} CPUs; "
            f"{args.seconds:.0f} s per phase"
        )
        pid = process.pid if process is not None else None
        asyncio.run(phase(host, port, singles, args.connections, 1.0))  # warm up
        before = service_cpu(pid)
        lat, bad, secs = asyncio.run(phase(host, port, singles, args.connections, args.seconds))
        after = service_cpu(pid)
        cpu = after - before if after is not None and before is not None else None
        report(f"single ({args.connections} connections)", lat, bad, secs, 1, cpu)
        before = service_cpu(pid)
        lat, bad, secs = asyncio.run(phase(host, port, batch, batch_connections, args.seconds))
        after = service_cpu(pid)
        cpu = after - before if after is not None and before is not None else None
        name = f"batch {args.batch_size} ({batch_connections} connections)"
        report(name, lat, bad, secs, args.batch_size, cpu)
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
