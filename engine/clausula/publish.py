"""The publication marker: the list of a policy set's files with their SHA-256, written last.

A deploy writes the clause and data files, then `clausula publish DIR` (or its own
`sha256sum`) writes `DIR/.clausula-published`. A service watching `DIR` loads the files only
when every one of them matches the marker, so a set that is half written (a writer that
paused, a copy that died) is never loaded, however long the pause. The format is that of
`sha256sum`, one file a line, paths relative to the directory, so that
`cd DIR && sha256sum -c .clausula-published` checks it too.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath

from .atomic_files import write_atomically

MARKER_NAME = ".clausula-published"

SET_SUFFIXES = (".clause", ".yaml", ".yml")
"""The files that make up a policy set: what `clausula.policy_set.load` reads (clause files,
YAML data files). Anything else under the directory (a ledger database, notes) is ignored."""

_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


def set_files(directory: Path) -> list[str]:
    """The policy set's files under `directory`, as sorted relative POSIX paths."""
    return sorted(
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.suffix in SET_SUFFIXES and path.is_file()
    )


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_marker(directory: Path) -> Path:
    """Write `directory/.clausula-published` for the files there now (atomically: a reader
    sees the old marker or the new one). Returns the marker's path."""
    lines = [f"{_digest(directory / name)}  {name}\n" for name in set_files(directory)]
    marker = directory / MARKER_NAME
    write_atomically(marker, "".join(lines), prefix=MARKER_NAME, newline="\n")
    return marker


def unpublished(directory: Path) -> list[str] | None:
    """Why the files under `directory` are not the published set, one sentence each; `[]`
    when they match the marker exactly; None when there is no marker (nothing to check)."""
    marker = directory / MARKER_NAME
    try:
        text = marker.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        return [f"{MARKER_NAME} cannot be read: {error}"]
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _LINE.match(line)
        name = match.group(2) if match else ""
        parts = PurePosixPath(name).parts
        if not match or PurePosixPath(name).is_absolute() or ".." in parts:
            return [f"line {number} of {MARKER_NAME} is not `<sha256>  <relative path>`"]
        listed[PurePosixPath(name).as_posix()] = match.group(1)
    problems: list[str] = []
    present = set_files(directory)
    for name in present:
        if name not in listed:
            problems.append(f"{name} is not in {MARKER_NAME}")
    for name, digest in listed.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{name} is in {MARKER_NAME} but missing")
        elif _digest(path) != digest:
            problems.append(f"{name} differs from {MARKER_NAME} (being written?)")
    return problems
