"""Where the parser's tables are kept from one process to the next.

Building the LALR tables of the grammar takes about 0.3 s at the start of every process
that parses a clause file (each CLI command, each cluster worker). Lark can keep them in a
file (`Lark(cache=...)`) and read them back in a few milliseconds. That file is a pickle,
so it is only read from a directory of the user's own that no one else can write:

- `$CLAUSULA_PARSER_CACHE` (a directory), else `$XDG_CACHE_HOME/clausula`, else
  `~/.cache/clausula`; made with mode 0700 when missing;
- not used when it belongs to another user or others may write in it, when it cannot be
  made, or when `CLAUSULA_PARSER_CACHE` is `off`: then the tables are built as before.

The file is named by Lark's version, the grammar's text and the parser's options (a new
grammar or Lark never reads an old file), and written under a name of its own, then
renamed, so that two processes starting together never read half a file. Lark checks the
grammar it holds again, and builds the tables from the grammar when the file cannot be
read. Only the tables are cached: what a policy author writes is never stored here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import lark
from lark import Lark

#: The environment variable naming the directory (or `off`).
ENV = "CLAUSULA_PARSER_CACHE"
_OFF = frozenset({"off", "0", "false", "no"})


def cached_lark(grammar: str, **options: Any) -> Lark:
    """`Lark(grammar, **options)`, its tables read from the cache when they are there,
    and written to it when they are not (see the module's docstring)."""
    folder = cache_folder()
    if folder is None:
        return Lark(grammar, **options)
    plain = sorted((k, v) for k, v in options.items() if isinstance(v, str | bool | int))
    text = "\0".join([lark.__version__, grammar, repr(plain)])
    path = folder / f"parser-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]}.lark"
    if path.is_file():
        return Lark(grammar, cache=str(path), **options)
    written = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    built = Lark(grammar, cache=str(written), **options)
    # Not written (Lark's log says why): the next process builds the tables too.
    with contextlib.suppress(OSError):
        os.replace(written, path)
    return built


def cache_folder() -> Path | None:
    """The directory the tables are kept in, or None when there is none to trust."""
    setting = os.environ.get(ENV, "").strip()
    if setting.lower() in _OFF:
        return None
    try:
        if setting:
            folder = Path(setting)
        else:
            base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
            folder = Path(base) / "clausula"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except (OSError, RuntimeError):  # no home, or a directory that cannot be made
        return None
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return None
    if info.st_mode & 0o022:  # others could put a file of theirs here
        return None
    return folder


__all__ = ["ENV", "cache_folder", "cached_lark"]
