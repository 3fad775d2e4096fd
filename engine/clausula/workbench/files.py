"""The files a workbench may read and write: only inside its policy directory.

Every path comes from the browser, so each is resolved and refused unless it falls inside
the root (no `..`, no absolute path, no symbolic link out), and only the kinds of file an
author edits are served: clause files, YAML (scenarios, clause tests, data) and JSON uses.
Writes carry the SHA-256 of the text the author started from: when the file on disk has
changed since, the write is refused as a conflict instead of overwriting someone's edit.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..atomic_files import write_atomically
from ..errors import ClausulaError

EDITABLE_SUFFIXES = (".clause", ".yaml", ".yml", ".json")
MAX_FILE_BYTES = 1 << 20  # one file the workbench reads or writes: 1 MiB
MAX_FILES = 2_000  # the most files listed from one policy directory


class FileRefused(ClausulaError):
    """A path outside the policy directory, of a kind not served, or too large."""


class FileConflict(ClausulaError):
    """The file changed on disk since the author opened it."""

    def __init__(self, path: str, current: str) -> None:
        super().__init__(
            f"{path} changed on disk since you opened it; reload it or save again to overwrite"
        )
        self.current = current


def digest(text: str) -> str:
    """The SHA-256 of a text as UTF-8, in hex: what a write must name as its starting point."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PolicyFiles:
    """The editable files under `root`."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", self.root.resolve())

    def resolve(self, name: str) -> Path:
        """The file `name` (relative to the root, `/`-separated) on disk, or `FileRefused`."""
        if not name or "\x00" in name or "\\" in name or len(name) > 500:
            raise FileRefused(f"`{name[:80]}` is not a file name of the policy directory")
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise FileRefused(f"`{name}` is outside the policy directory")
        if not name.endswith(EDITABLE_SUFFIXES):
            raise FileRefused(
                f"`{name}` is not a clause, YAML or JSON file; only those can be edited here"
            )
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise FileRefused(f"`{name}` is outside the policy directory")
        return path

    def name_of(self, path: Path) -> str:
        """The name of a file of the root, as the browser knows it."""
        return path.resolve().relative_to(self.root).as_posix()

    def listing(self) -> list[str]:
        """Every editable file under the root, sorted (hidden files and folders left out)."""
        found: list[str] = []
        for directory, folders, files in os.walk(self.root):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            for file in sorted(files):
                if file.startswith(".") or not file.endswith(EDITABLE_SUFFIXES):
                    continue
                path = Path(directory) / file
                if not path.resolve().is_relative_to(self.root):
                    continue  # a link out of the directory is not the project's
                found.append(self.name_of(path))
                if len(found) >= MAX_FILES:
                    return found
        return found

    def read(self, name: str) -> str:
        """The text of a file; `FileRefused` if it is missing, too large or not UTF-8."""
        path = self.resolve(name)
        if not path.is_file():
            raise FileRefused(f"there is no file `{name}` in the policy directory")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FileRefused(f"`{name}` is larger than {MAX_FILE_BYTES} bytes")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise FileRefused(f"`{name}` is not UTF-8 text (byte {error.start})") from None

    def write(self, name: str, text: str, expected: str | None) -> str:
        """Write `text` to `name` and return its digest.

        `expected`: the digest of the text the author opened (None for a new file, which
        must not exist yet). A file that changed on disk since raises `FileConflict`.
        """
        path = self.resolve(name)
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise FileRefused(f"the text is larger than {MAX_FILE_BYTES} bytes")
        if path.exists():
            current = self.read(name)
            if expected is None or digest(current) != expected:
                raise FileConflict(name, digest(current))
        elif expected is not None:
            raise FileConflict(name, "")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text, prefix=".workbench-")
        return digest(text)
