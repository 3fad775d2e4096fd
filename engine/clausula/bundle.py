"""A policy set as bytes, to ship to the workers of a cluster and load there once.

A `PolicyBundle` holds the bytes of every clause file and data file of a policy set, named
as `clausula.load` names them, and a digest over all of them. A cluster runner
(`clausula.spark`, `clausula.dask`) sends the bundle to each worker once (a Spark
broadcast, a Dask scattered value); a worker loads it with `policy_of(bundle)`, which
loads each digest once per process and keeps it. Only bytes travel: nothing is pickled
that a worker would have to trust beyond the files themselves, which it checks and
compiles as `clausula.load` does. The same files give the same version hash on every
worker as on the driver.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, PolicyError, Span

if TYPE_CHECKING:
    from .policy_set import PolicySet

MAX_CACHED_POLICIES = 4
"""Policy sets a worker process keeps loaded (one per digest): a job uses one; a few more
let consecutive jobs with new policies run without reloading the old ones."""


@dataclass(frozen=True)
class PolicyBundle:
    """The files of a policy set as bytes: `clauses` by their path inside the policies
    directory, `data` by file name, with the laws assumed. `digest` names them all."""

    clauses: tuple[tuple[str, bytes], ...]
    data: tuple[tuple[str, bytes], ...] = ()
    assume: tuple[str, ...] = ()
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        for name, _ in (*self.clauses, *self.data):
            parts = PurePosixPath(name).parts
            if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
                raise ValueError(f"a bundled file must be named inside the set, not {name!r}")
        hasher = hashlib.sha256()
        for kind, files in (("policies", self.clauses), ("data", self.data)):
            for name, raw in sorted(files):
                hasher.update(f"{kind}/{name}\0".encode())
                hasher.update(hashlib.sha256(raw).digest())
        for law in self.assume:
            hasher.update(f"assume\0{law}\0".encode())
        object.__setattr__(self, "digest", "sha256:" + hasher.hexdigest())

    @classmethod
    def from_path(
        cls, policies: str | Path, *, data: str | Path | None = None, assume: Iterable[str] = ()
    ) -> PolicyBundle:
        """The files `clausula.load(policies, data=data)` would read, as bytes."""
        from .catalogue import data_files
        from .policy_set import clause_files

        root = Path(policies)
        if not root.exists():
            raise PolicyError(
                [Diagnostic(Span(str(root), 0, 0), f"there is no policy directory or file {root}")]
            )
        base = root if root.is_dir() else root.parent
        clauses = tuple(
            (path.resolve().relative_to(base.resolve()).as_posix(), path.read_bytes())
            for path in clause_files([root])
        )
        data_dir = Path(data) if data is not None else (root / "data" if root.is_dir() else None)
        files: tuple[tuple[str, bytes], ...] = ()
        if data_dir is not None and data_dir.is_dir():
            files = tuple((path.name, path.read_bytes()) for path in data_files(data_dir))
        return cls(clauses, files, tuple(assume))

    def load(self) -> PolicySet:
        """Check and compile the bundled files (written to a private temporary directory,
        removed after), exactly as `clausula.load` does with the originals."""
        from .policy_set import load

        with tempfile.TemporaryDirectory(prefix="clausula-bundle-") as tmp:
            policies = Path(tmp) / "policies"
            data = Path(tmp) / "data"
            policies.mkdir()
            data.mkdir()
            for directory, files in ((policies, self.clauses), (data, self.data)):
                for name, raw in files:
                    path = directory / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(raw)
            return load(policies, data=data, assume=self.assume)


_loaded: dict[str, PolicySet] = {}
_lock = threading.Lock()


def policy_of(bundle: PolicyBundle) -> PolicySet:
    """The policy set of `bundle`, loaded once per process and kept (by its digest)."""
    with _lock:
        found = _loaded.get(bundle.digest)
        if found is None:
            found = bundle.load()
            while len(_loaded) >= MAX_CACHED_POLICIES:
                _loaded.pop(next(iter(_loaded)))
            _loaded[bundle.digest] = found
        return found


def bundle_of(
    policies: str | Path | PolicyBundle,
    *,
    data: str | Path | None = None,
    assume: Iterable[str] = (),
) -> PolicyBundle:
    """`policies` as a bundle: a bundle as it is, a path read with `PolicyBundle.from_path`."""
    if isinstance(policies, PolicyBundle):
        return policies
    return PolicyBundle.from_path(policies, data=data, assume=assume)


def checked_bundle(
    policies: str | Path | PolicyBundle,
    *,
    data: str | Path | None = None,
    assume: Iterable[str] = (),
    check: bool = True,
) -> PolicyBundle:
    """`policies` as a bundle, loaded here first (unless `check` is False) so that a policy
    error is raised before any task starts: a path is loaded from the path itself (the
    error names the files as the author sees them) and kept as the bundle's policy set in
    this process."""
    from .policy_set import load

    bundle = bundle_of(policies, data=data, assume=assume)
    if not check:
        return bundle
    if isinstance(policies, PolicyBundle):
        policy_of(bundle)
        return bundle
    loaded = load(policies, data=data, assume=bundle.assume)
    with _lock:
        _loaded.setdefault(bundle.digest, loaded)
    return bundle
