"""Whether the decision path runs compiled or from its sources.

A wheel built where a C compiler is found holds the decision modules compiled by mypyc
(`hatch_build.py`, docs/performance.md): the same sources as extension modules beside
them, which Python imports in their place. `prefer_sources()` runs before any other
module of the package is imported and keeps to the sources instead when

- `CLAUSULA_PURE_PYTHON` is set (a profiler that reads Python lines, say), or
- a source differs from the one compiled (`_compiled_from.json` holds their SHA-256):
  an edit in a checkout since the last build, which is then run as written, with a
  warning to build again (`make`, or `pip install -e .`).

The compiled modules call each other directly, so they are used all together or not at
all. This module imports nothing of the package.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

_PACKAGE = Path(__file__).resolve().parent
_RECORD = _PACKAGE / "_compiled_from.json"
PURE_PYTHON = "CLAUSULA_PURE_PYTHON"


class _Sources(importlib.abc.MetaPathFinder):
    """Finds the named modules at their `.py` sources, before the extension modules."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        source = self.sources.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source else None


def _extension_modules() -> dict[str, Path]:
    """Each module of the package present as an extension module, with its source."""
    # Longest first: `.cpython-311-x86_64-linux-gnu.so` before `.so`.
    suffixes = sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True)
    found: dict[str, Path] = {}
    for extension in sorted(_PACKAGE.rglob("*")):
        suffix = next((s for s in suffixes if extension.name.endswith(s)), None)
        if suffix is None:
            continue
        source = extension.with_name(extension.name.removesuffix(suffix) + ".py")
        relative = source.relative_to(_PACKAGE.parent).with_suffix("")
        found[".".join(relative.parts)] = source
    return found


def _changed(extensions: dict[str, Path]) -> list[str]:
    """The compiled modules whose source is not the one compiled (all of them when the
    build left no record)."""
    try:
        record = json.loads(_RECORD.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return sorted(extensions)
    changed = []
    for name, source in sorted(extensions.items()):
        key = source.relative_to(_PACKAGE.parent).as_posix()
        try:
            digest = hashlib.sha256(source.read_bytes()).hexdigest()
        except OSError:
            continue  # a wheel may leave the sources out: nothing to run instead
        if record.get(key) != digest:
            changed.append(name)
    return changed


def prefer_sources() -> None:
    """Keep to the sources when asked to, or when a compiled module is out of date."""
    extensions = _extension_modules()
    if not extensions:
        return
    if not os.environ.get(PURE_PYTHON):
        changed = _changed(extensions)
        if not changed:
            return
        warnings.warn(
            f"clausula: {', '.join(changed)} changed since it was compiled; running every "
            "compiled module from its source (slower). Build again: `make` or `pip install -e .`",
            stacklevel=3,
        )
    sys.meta_path.insert(0, _Sources(extensions))


def compiled_modules() -> tuple[str, ...]:
    """The modules of the package that run compiled in this process (empty: pure Python)."""
    if any(isinstance(finder, _Sources) for finder in sys.meta_path):
        return ()
    return tuple(sorted(_extension_modules()))
