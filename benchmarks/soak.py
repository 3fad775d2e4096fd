"""Soak the decision service: many connections, good, bad and hostile requests, policy edits.

    python benchmarks/soak.py [--connections 200] [--seconds 300] [--edit-every 2]

Starts `clausula serve` on a copy of the shipped policies (a free loopback port, reload
every 0.2 s) and, for `--seconds`, keeps `--connections` connections busy with a mix of
requests: good uses (one and in batches), bad uses (422), hostile bodies (deep nesting, a
5,000-digit number, a lone surrogate, random bytes: 400), while the artists' pool of the
contract is edited between 30 % and 40 % every `--edit-every` seconds. Prints:

- the answers by status, and the 5xx and transport errors (both must be 0);
- the service's resident memory (VmRSS) every few seconds (it must stay flat);
- whether every decision is consistent with the policy version it reports: the revenue
  share of each answer must be that version's pool (read from `GET /v1/policy`), and one
  version must always give the same total.

Exit status 1 when a 5xx, a transport error or an inconsistent answer was seen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
CONTRACT = Path("contracts/aria-optin.clause")
REVENUE = Decimal("1200.00")
GOOD: dict[str, Any] = {
    "date": "2026-09-01",
    "licensee": "party:aria-labs",
    "purpose": "generation",
    "territory": "US",
    # Both artists hold generation grants valid in the US: the use is paid from the pool.
    "attribution": {"isni:0000000121032683": "0.6", "isni:0000000451273906": "0.4"},
    "metrics": {"revenue": {"amount": str(REVENUE), "currency": "USD"}},
}
HOSTILE = [
    b"[" * 3000 + b"]" * 3000,
    json.dumps(GOOD)[:-1].encode() + b', "streams": ' + b"9" * 5000 + b"}",
    json.dumps({**GOOD, "id": "\ud800"}).encode("utf-8", "surrogatepass"),
    bytes(range(256)),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Soak:
    def __init__(self, url: str, policies: Path, seconds: float, edit_every: float) -> None:
        self.url = url
        self.policies = policies
        self.seconds = seconds
        self.edit_every = edit_every
        self.statuses: Counter[int] = Counter()
        self.transport_errors: Counter[str] = Counter()
        self.totals_by_version: dict[str, set[Decimal]] = {}
        self.pool_by_version: dict[str, Decimal] = {}
        self.edits = 0
        self.deadline = 0.0

    def _record(self, decision: dict[str, Any]) -> None:
        if decision["decision"] != "pay":
            return
        total = sum((Decimal(t["amount"]) for t in decision["totals"]), Decimal(0))
        self.totals_by_version.setdefault(decision["policy"]["version"], set()).add(total)

    async def _one(self, client: httpx.AsyncClient, rng: random.Random, n: int) -> None:
        roll = rng.random()
        kind = "good" if roll < 0.5 else "batch" if roll < 0.6 else "bad" if roll < 0.8 else ""
        try:
            await self._send(client, rng, n, roll, kind)
        except httpx.HTTPError as error:
            self.transport_errors[f"{type(error).__name__} ({kind})"] += 1

    async def _send(
        self, client: httpx.AsyncClient, rng: random.Random, n: int, roll: float, kind: str
    ) -> None:
        if roll < 0.5:
            answer = await client.post("/v1/decide", json={**GOOD, "id": f"s{n}"})
            if answer.status_code == 200:
                self._record(answer.json())
        elif roll < 0.6:
            batch = [{**GOOD, "id": f"b{n}-{i}"} for i in range(20)]
            answer = await client.post("/v1/decide/batch", json=batch)
            if answer.status_code == 200:
                decisions = answer.json()
                if len({d["policy"]["version"] for d in decisions}) != 1:
                    self.transport_errors["a batch mixed versions"] += 1
                for decision in decisions:
                    self._record(decision)
        elif roll < 0.8:
            answer = await client.post("/v1/decide", json={**GOOD, "territory": "XX"})
        else:
            which = rng.randrange(len(HOSTILE))
            body = HOSTILE[which]
            path = rng.choice(["/v1/decide", "/v1/decide/batch", "/v1/check"])
            kind = f"hostile {which} to {path}"
            try:
                answer = await client.post(path, content=body)
            except httpx.HTTPError as error:
                self.transport_errors[f"{type(error).__name__} ({kind})"] += 1
                return
        self.statuses[answer.status_code] += 1
        if answer.status_code >= 400 and answer.headers.get("content-type") != (
            "application/problem+json"
        ):
            self.transport_errors[f"{answer.status_code} not problem+json"] += 1

    async def _worker(self, client: httpx.AsyncClient, seed: int) -> None:
        rng = random.Random(seed)
        n = 0
        while time.monotonic() < self.deadline:
            n += 1
            await self._one(client, rng, seed * 10_000_000 + n)

    async def _editor(self, client: httpx.AsyncClient) -> None:
        path = self.policies / CONTRACT
        pools = ["30%", "40%"]
        while True:
            await asyncio.sleep(min(self.edit_every, max(0.0, self.deadline - time.monotonic())))
            if time.monotonic() >= self.deadline:
                return
            text = path.read_text(encoding="utf-8")
            current, target = (pools[0], pools[1]) if f"= {pools[0]}" in text else pools[::-1]
            path.write_text(
                text.replace(f"artist_pool = {current}", f"artist_pool = {target}"),
                encoding="utf-8",
            )
            self.edits += 1

    async def _watch_policy(self, client: httpx.AsyncClient) -> None:
        while time.monotonic() < self.deadline + 1:
            try:
                status = (await client.get("/v1/policy")).json()
                pool = status["parameters"]["aria-optin-2026"]["artist_pool"]
                share = Decimal(pool.rstrip("%")) / (100 if pool.endswith("%") else 1)
                self.pool_by_version[status["version"]] = share
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            await asyncio.sleep(0.05)

    async def run(self, connections: int, pid: int) -> list[tuple[float, int]]:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        rss: list[tuple[float, int]] = []
        start = time.monotonic()
        self.deadline = start + self.seconds
        async with (
            httpx.AsyncClient(base_url=self.url, limits=limits, timeout=60) as client,
            httpx.AsyncClient(base_url=self.url, timeout=10) as admin,
        ):

            async def sample() -> None:
                while time.monotonic() < self.deadline:
                    rss.append((time.monotonic() - start, _rss_kib(pid)))
                    await asyncio.sleep(max(1.0, self.seconds / 30))

            await asyncio.gather(
                *(self._worker(client, seed) for seed in range(connections)),
                self._editor(admin),
                self._watch_policy(admin),
                sample(),
            )
        return rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--edit-every", type=float, default=2.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        policies = Path(directory) / "policies"
        shutil.copytree(REPO / "policies", policies)
        port = _free_port()
        command = [str(Path(sys.executable).parent / "clausula"), "serve", "--policies"]
        command += [str(policies), "--port", str(port), "--reload-interval", "0.2"]
        command += ["--limit-concurrency", str(options.connections * 2 + 16)]
        command += ["--log-level", "warning"]
        service = subprocess.Popen(command, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            soak = Soak(url, policies, options.seconds, options.edit_every)
            rss = asyncio.run(soak.run(options.connections, service.pid))
        finally:
            service.terminate()
            _, errors = service.communicate(timeout=30)
    return _report(soak, rss, options, errors.decode(errors="replace"))


def _report(soak: Soak, rss: list[tuple[float, int]], options: Any, log: str) -> int:
    answered = sum(soak.statuses.values())
    server_errors = sum(n for status, n in soak.statuses.items() if status >= 500)
    print(f"{answered:,} answers in {options.seconds:g} s over {options.connections} connections")
    print("by status:", dict(sorted(soak.statuses.items())))
    print(f"5xx: {server_errors}; transport or protocol errors: {dict(soak.transport_errors)}")
    inconsistent = []
    for version, totals in soak.totals_by_version.items():
        pool = soak.pool_by_version.get(version)
        if len(totals) != 1 or (pool is not None and totals != {REVENUE * pool}):
            inconsistent.append((version, sorted(map(str, totals)), pool))
    checked = sum(1 for v in soak.totals_by_version if v in soak.pool_by_version)
    print(
        f"policy edits: {soak.edits}; versions answered: {len(soak.totals_by_version)} "
        f"({checked} with their pool read from /v1/policy); inconsistent: {inconsistent or 0}"
    )
    print("RSS (s: MiB):", ", ".join(f"{t:.0f}: {kib / 1024:.1f}" for t, kib in rss))
    if len(rss) >= 4:
        settled = [kib for _, kib in rss[len(rss) // 4 :]]
        print(
            f"RSS after the first quarter: min {min(settled) / 1024:.1f} MiB, "
            f"max {max(settled) / 1024:.1f} MiB"
        )
    tracebacks = log.count("Traceback")
    print(f"tracebacks in the service's log: {tracebacks} (each a logged 500, if any)")
    if not checked:
        print("no paid answer with a known pool: the consistency check did not run")
    failed = server_errors or soak.transport_errors or inconsistent or not checked
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
