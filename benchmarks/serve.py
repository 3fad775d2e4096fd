"""Load on the decision service over loopback. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/serve.py [--seconds 30] [--connections 8]
                                         [--batch-size 500] [--batch-connections 2]
                                         [--url http://127.0.0.1:PORT]

Starts `clausula serve` on a free loopback port (unless `--url` names a running service),
then runs two bounded, closed-loop phases of `--seconds` each: single decisions
(`POST /v1/decide`, `--connections` keep-alive connections, each sending its next request
when the answer to the last one has arrived) and batches (`POST /v1/decide/batch`). For each
it prints requests and decisions per second, p50/p99/max latency and any non-200 answer.

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

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from decide import USES  # noqa: E402  (the same four uses as benchmarks/decide.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_service(port: int) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "clausula"),
        "serve",
        "--policies",
        str(POLICIES),
        "--port",
        str(port),
        "--log-level",
        "warning",
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
    latencies: list[float] = []
    bad: list[int] = []
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(
        *(
            _connection(host, port, requests[i:] + requests[:i], stop_at, latencies, bad)
            for i in range(connections)
        )
    )
    return latencies, bad, time.perf_counter() - start


def report(name: str, latencies: list[float], bad: list[int], seconds: float, per: int) -> None:
    latencies.sort()
    n = len(latencies)
    p = statistics.quantiles(latencies, n=100) if n > 1 else [0.0] * 99
    print(
        f"{name:<8} {n / seconds:>9,.0f} requests/s {n * per / seconds:>9,.0f} decisions/s   "
        f"p50 {p[49] * 1e3:6.2f} ms  p99 {p[98] * 1e3:6.2f} ms  max {latencies[-1] * 1e3:7.2f} ms"
        f"   ({n:,} requests, {len(bad)} not 200)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batch-connections", type=int, default=2)
    parser.add_argument("--url", help="a running service instead of starting one")
    args = parser.parse_args()

    process = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
    else:
        host, port = "127.0.0.1", free_port()
        process = start_service(port)
    token = os.environ.get("CLAUSULA_TOKEN")
    if token:
        raise SystemExit("unset CLAUSULA_TOKEN for the benchmark")
    try:
        singles = [_request(host, "/v1/decide", json.dumps(u).encode()) for u in USES]
        uses: list[Any] = [USES[i % len(USES)] for i in range(args.batch_size)]
        batch = [_request(host, "/v1/decide/batch", json.dumps(uses).encode())]
        print(f"service on {host}:{port}; {os.cpu_count()} CPUs; {args.seconds:.0f} s per phase")
        asyncio.run(phase(host, port, singles, args.connections, 1.0))  # warm up
        lat, bad, secs = asyncio.run(phase(host, port, singles, args.connections, args.seconds))
        report("single", lat, bad, secs, 1)
        lat, bad, secs = asyncio.run(phase(host, port, batch, args.batch_connections, args.seconds))
        report(f"batch {args.batch_size}", lat, bad, secs, args.batch_size)
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
