"""Hot reload: a live reference to the current `PolicySet`, swapped atomically.

`LivePolicies` holds one immutable `PolicySnapshot` (the policy set, when it was loaded, and
the last load's problems). `reload()` loads the files again when they changed; a set that
loads without errors replaces the snapshot in one attribute assignment, so a reader sees
either the old set or the new one, never a mixture. A request takes the snapshot once, at
its start, and decides everything with it: requests in flight finish on the version they
started with. A broken edit keeps the last good set serving; its problems are kept in the
snapshot (for `GET /v1/policy`) and logged.

With `ledger`, consent is decided against a consent ledger (a URL, opened once, or a
`ConsentLedger`), which every reload passes on to the new policy set; the ledger is read as
of each use's date and is not part of the policy version (see docs/ledger.md).

`PolicyWatcher` polls the files' sizes and modification times in a daemon thread (no extra
dependency, works on every file system) and calls `reload()` when they change.

Which files make a consistent set (see docs/serving.md, "What a reload guarantees"): when
a watched directory holds a publication marker (`clausula.publish`), only files that match
it exactly are loaded; a directory given as a symbolic link is resolved once per load, so a
deploy that swaps the link loads one directory or the other. Without either, the watcher's
"unchanged for one look" is all there is, and a writer that pauses longer than that can
get a half-written set loaded.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .consent import ConsentLedger
from .diagnostics import Diagnostic, PolicyError, Span
from .errors import ClausulaError
from .policy_set import PolicySet, load
from .publish import MARKER_NAME, unpublished

log = logging.getLogger("clausula.reload")

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(roots: Iterable[Path]) -> Fingerprint:
    """(path, size, mtime in ns) of every file under `roots`, sorted; cheap to compare."""
    entries: list[tuple[str, int, int]] = []
    for root in roots:
        if root.is_symlink():  # a swapped link is a change, even to identical-looking files
            entries.append((f"{root.as_posix()} -> {root.resolve().as_posix()}", 0, 0))
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
    the last load attempt if it failed (the service keeps serving `policy` meanwhile), and
    `failure` why: `invalid` (the files have errors, or loading them failed) or
    `inconsistent` (they are not a published set: a deploy is still writing, or stopped).
    """

    policy: PolicySet | None
    loaded_at: dt.datetime | None
    errors: tuple[Diagnostic, ...] = ()
    failed_at: dt.datetime | None = None
    reloads: int = 0
    failure: str | None = None


@dataclass
class LivePolicies:
    """The policy set of a running service, reloaded from `policies` (and `data`) on change.

    `ledger`: decide consent against this consent ledger instead of the data files' grants
    — a URL (`sqlite:///policies/consent.db`, `postgresql://…`), opened once here (raises
    `clausula.ledger.LedgerError` when it cannot be), or a `ConsentLedger`. Every reload
    decides against the same ledger.

    `freeze_gc`: after each swap, collect garbage once and move every object then alive
    into the collector's permanent generation (`gc.freeze()`), so that later collections
    do not walk the policy set again and again. For a process that serves decisions
    (`clausula serve` sets it); it changes the whole process's collector.
    """

    policies: Path
    data: Path | None = None
    assume: tuple[str, ...] = ()
    parameters: Mapping[str, Mapping[str, Any]] | None = None
    ledger: ConsentLedger | str | None = None
    freeze_gc: bool = False
    _snapshot: PolicySnapshot = field(init=False)
    _fingerprint: Fingerprint | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _ledger: ConsentLedger | None = field(init=False, default=None)
    _owns_ledger: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self._snapshot = PolicySnapshot(policy=None, loaded_at=None)
        if isinstance(self.ledger, str):
            from .ledger import Ledger

            self._ledger = Ledger(self.ledger)
            self._owns_ledger = True
        else:
            self._ledger = self.ledger

    @property
    def consent_ledger(self) -> ConsentLedger | None:
        """The ledger consent is decided against (opened, if it was given as a URL)."""
        return self._ledger

    def close(self) -> None:
        """Release the ledger's database connections, if the ledger was opened here."""
        if self._owns_ledger and self._ledger is not None:
            close = getattr(self._ledger, "close", None)
            if close is not None:
                close()

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

    def reload(self, *, force: bool = False, seen: Fingerprint | None = None) -> bool:
        """Load the files again if they changed since the last attempt (or if `force`).

        `seen`: the files' fingerprint as the caller just took it (saves taking it again).
        Returns True when a new policy set was swapped in. Never raises: whatever stops a
        load (errors in the files, a set that does not match its publication marker, an
        exception in the loader itself) is recorded in the snapshot, logged, and the last
        good set goes on serving.
        """
        with self._lock:  # one load at a time; readers never take this lock
            if self.policies.as_posix() == "<in memory>":
                return False
            before = seen if seen is not None else fingerprint(self._roots())
            if not force and before == self._fingerprint:
                return False
            current = self._snapshot
            # A root given as a symbolic link is read through its target of this moment:
            # a deploy that swaps the link mid-load cannot mix two directories.
            policies = self.policies.resolve()
            data = self.data.resolve() if self.data is not None else None
            roots = [(self.policies, policies)] + ([(self.data, data)] if data else [])
            published = any((root / MARKER_NAME).is_file() for _, root in roots)
            failure = "invalid"
            try:
                problems = [
                    f"{shown}: {problem}"
                    for shown, root in roots
                    for problem in unpublished(root) or ()
                ]
                if problems:
                    failure = "inconsistent"
                    raise _Unpublished(problems)
                policy = load(
                    policies,
                    data=data,
                    assume=self.assume,
                    parameters=self.parameters,
                    ledger=self._ledger,
                )
                after = fingerprint(self._roots())
                if published and after != before:
                    failure = "inconsistent"
                    raise _Unpublished(["the files changed while they were being loaded"])
            except PolicyError as error:
                diagnostics: tuple[Diagnostic, ...] = tuple(error.diagnostics)
            except _Unpublished as error:
                diagnostics = tuple(
                    Diagnostic(Span(str(self.policies), 0, 0), f"not a published set: {problem}")
                    for problem in error.problems
                )
            except (OSError, UnicodeDecodeError, ValueError) as error:
                diagnostics = (Diagnostic(Span(str(self.policies), 0, 0), f"cannot load: {error}"),)
            except Exception as error:  # a bug in the loader must not pass for a good reload
                log.exception("policy reload: the loader failed")
                diagnostics = (
                    Diagnostic(
                        Span(str(self.policies), 0, 0),
                        f"cannot load: the loader failed ({type(error).__name__}: {error})",
                    ),
                )
            else:
                # Files edited during the load: look again at the next poll.
                self._fingerprint = before if after == before else None
                if current.policy is not None and current.policy.version == policy.version:
                    if current.errors:
                        self._snapshot = replace(current, errors=(), failed_at=None, failure=None)
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
                if self.freeze_gc:
                    del current, policy  # the replaced set becomes garbage now
                    _refreeze()
                return True
            # A set that changed while it was read is looked at again at the next poll.
            self._fingerprint = before if fingerprint(self._roots()) == before else None
            self._snapshot = replace(current, errors=diagnostics, failed_at=_now(), failure=failure)
            kept = current.policy.version if current.policy else "none"
            log.error(
                "policy reload failed with %d problem(s); still serving %s\n%s",
                len(diagnostics),
                kept,
                "\n".join(d.render() for d in diagnostics),
            )
            return False


class _Unpublished(ClausulaError):
    """The files are not the set their publication marker lists."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _refreeze() -> None:
    """Free the garbage of the set just replaced, then freeze everything alive.

    A serving process holds one large policy set for a long time; the cyclic collector
    would otherwise walk all of it at every full collection (about a third of the time of
    a batch of decisions, measured). A set still used by a request in flight is frozen
    too: what of it is cyclic garbage once the request ends is collected at the next
    reload, when everything is unfrozen first.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PolicyWatcher:
    """A daemon thread that looks at the policy files every `interval` seconds until
    stopped, and calls `live.reload()` once a change has settled (unchanged for one look)."""

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
        previous: Fingerprint | None = None
        while not self._stop.wait(self.interval):
            try:
                now = fingerprint(self.live._roots())
                if now != previous:
                    # Changed since the last look: an editor may be halfway through writing
                    # the file, so load only once the files have stayed as they are for a
                    # whole interval (a half-written file that happens to check must never
                    # be swapped in).
                    previous = now
                    continue
                self.live.reload(seen=now)
            except Exception:  # never let the watcher die; the next poll tries again
                log.exception("policy watcher: unexpected error")
