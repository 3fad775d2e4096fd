"""Shared fixtures.

`postgres_url`: a PostgreSQL server for the ledger tests — the one named by
`CLAUSULA_TEST_POSTGRES_URL` (as `.ci/run` sets), or a throwaway cluster started here with
`initdb`/`pg_ctl` (run as the `postgres` user when the tests run as root, since initdb
refuses root). When neither is possible the PostgreSQL tests are skipped with the reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_ENV = "CLAUSULA_TEST_POSTGRES_URL"


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_cluster() -> tuple[str, list[str], str] | str:
    """(URL, stop command, data dir) of a new cluster, or the reason none could start."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        return "no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin"
    prefix: list[str] = []
    base = tempfile.mkdtemp(prefix="clausula-pg-")
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            import pwd

            user = pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run initdb as"
        if not runuser:
            return "running as root and there is no runuser to run initdb as postgres"
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = [runuser, "-u", "postgres", "--"]
    data = os.path.join(base, "data")
    port = _free_port()
    init = subprocess.run(
        [*prefix, initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"],
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        return f"initdb failed: {init.stderr.strip()[:300]}"
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = subprocess.run(
        [
            *prefix,
            pg_ctl,
            "-D",
            data,
            "-o",
            options,
            "-l",
            os.path.join(base, "log"),
            "-w",
            "start",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if start.returncode != 0:
        return f"pg_ctl start failed: {start.stderr.strip()[:300]}"
    stop = [*prefix, pg_ctl, "-D", data, "-m", "fast", "-w", "stop"]
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop, base


# The test files that take longest, slowest first (`pytest --durations=0`, summed by file, on
# the 2-core CI machine). Under xdist (addopts in pyproject.toml) whole files are handed to the
# two workers in collection order: giving these out first leaves only short files for the end,
# so neither worker waits long for the other. Only the order of files changes, never the order
# of tests within one; run serially, the order is the usual one.
SLOWEST_FILES = (
    "test_spark.py",
    "test_ledger.py",
    "test_service.py",
    "test_docs.py",
    "test_workbench.py",
    "test_prove.py",
    "test_counterparty_outputs.py",
    "test_site.py",
    "test_workbench_browser.py",
    "test_simulate.py",
    "test_batch.py",
    "test_plain_use.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: place for place, name in enumerate(SLOWEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files keep order


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database."""
    given = os.environ.get(POSTGRES_ENV)
    if given:
        yield given
        return
    started = _start_cluster()
    if isinstance(started, str):
        print(f"\nPostgreSQL tests skipped: {started}")
        pytest.skip(f"PostgreSQL tests skipped: {started} (set {POSTGRES_ENV} to use a server)")
    url, stop, base = started
    try:
        yield url
    finally:
        subprocess.run(stop, capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards."""
    import psycopg

    name = "clausula_test_" + uuid.uuid4().hex[:12]
    base = postgres_server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base.rpartition("/")
    yield f"{head}/{name}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite ledger file in a fresh directory."""
    return f"sqlite:///{tmp_path / 'consent.db'}"
