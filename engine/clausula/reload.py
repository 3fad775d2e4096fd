"""Hot reload: a live reference to the current `PolicySet`, swapped atomically.

`LivePolicies` holds one immutable `PolicySnapshot` (the policy set, when it was loaded, and
the last load's problems). `reload()` loads the files again when they changed; a set that
loads without errors replaces the snapshot in one attribute assignment, so a reader sees
either the old set or the new one, never a mixture. A request takes the snapshot once, at
its start, and decides everything with it: requests in flight finish on the version they
started with. A broken edit keeps the last good set serving; its problems are kept in the
snapshot (for `GET /v1/policy`) and logged.

`PolicyWatcher` polls the files' sizes and modification times in a daemon thread (no extra
dependency, works on every file system) and calls `reload()` when they change.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, PolicyError, Span
from .policy_set import PolicySet, load

log = logging.getLogger("clausula.reload")

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(roots: Iterable[Path]) -> Fingerprint:
    """(path, size, mtime in ns) of every file under `roots`, sorted; cheap to compare."""
    entries: list[tuple[str, int, int]] = []
    for root in roots:
        candidates = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            try:
                stat = path.stat()
            except OSError:  # removed between the listing and the stat
                continue
            entries.append((path.as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    """What the service decides with: the last good policy set and the last load's outcome.

    `policy` is None only when the very first load failed. `errors` holds the diagnostics of
    the last load attempt if it failed (the service keeps serving `policy` meanwhile).
    """

    policy: PolicySet | None
    loaded_at: dt.datetime | None
    errors: tuple[Diagnostic, ...] = ()
    failed_at: dt.datetime | None = None
    reloads: int = 0


@dataclass
class LivePolicies:
    """The policy set of a running service, reloaded from `policies` (and `data`) on change."""

    policies: Path
    data: Path | None = None
    assume: tuple[str, ...] = ()
    parameters: Mapping[str, Mapping[str, Any]] | None = None
    _snapshot: PolicySnapshot = field(init=False)
    _fingerprint: Fingerprint | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._snapshot = PolicySnapshot(policy=None, loaded_at=None)

    @classmethod
    def of(cls, policy: PolicySet) -> LivePolicies:
        """A fixed policy set that never reloads (for tests and embedding)."""
        live = cls(policies=Path("<in memory>"))
        live._snapshot = PolicySnapshot(policy=policy, loaded_at=_now())
        return live

    @property
    def snapshot(self) -> PolicySnapshot:
        """The current snapshot. Take it once per request and use only that one."""
        return self._snapshot

    def _roots(self) -> list[Path]:
        roots = [self.policies]
        if self.data is not None:
            roots.append(self.data)
        return roots

    def reload(self, *, force: bool = False) -> bool:
        """Load the files again if they changed since the last attempt (or if `force`).

        Returns True when a new policy set was swapped in. Never raises for a bad policy:
        the problems are recorded in the snapshot and logged.
        """
        with self._lock:  # one load at a time; readers never take this lock
            if self.policies.as_posix() == "<in memory>":
                return False
            before = fingerprint(self._roots())
            if not force and before == self._fingerprint:
                return False
            current = self._snapshot
            try:
                policy = load(
                    self.policies, data=self.data, assume=self.assume, parameters=self.parameters
                )
            except PolicyError as error:
                diagnostics: tuple[Diagnostic, ...] = tuple(error.diagnostics)
            except (OSError, UnicodeDecodeError, ValueError) as error:
                diagnostics = (Diagnostic(Span(str(self.policies), 0, 0), f"cannot load: {error}"),)
            else:
                # Files edited during the load: look again at the next poll.
                self._fingerprint = before if fingerprint(self._roots()) == before else None
                if current.policy is not None and current.policy.version == policy.version:
                    if current.errors:
                        self._snapshot = replace(current, errors=(), failed_at=None)
                    return False
                self._snapshot = PolicySnapshot(
                    policy=policy, loaded_at=_now(), reloads=current.reloads + 1
                )
                log.info(
                    "policy %s loaded: contracts %s, jurisdictions %s",
                    policy.version,
                    ", ".join(policy.contracts) or "none",
                    ", ".join(policy.jurisdictions) or "none",
                )
                return True
            self._fingerprint = before
            self._snapshot = replace(current, errors=diagnostics, failed_at=_now())
            kept = current.policy.version if current.policy else "none"
            log.error(
                "policy reload failed with %d problem(s); still serving %s\n%s",
                len(diagnostics),
                kept,
                "\n".join(d.render() for d in diagnostics),
            )
            return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PolicyWatcher:
    """A daemon thread that calls `live.reload()` every `interval` seconds until stopped."""

    def __init__(self, live: LivePolicies, interval: float = 1.0) -> None:
        self.live = live
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clausula-reload", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread (at most one load) to finish."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.live.reload()
            except Exception:  # never let the watcher die; the next poll tries again
                log.exception("policy watcher: unexpected error")
