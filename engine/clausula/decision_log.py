"""The decision log: every decision appended to a JSON Lines file, one line per decision.

Each line holds the time it was logged, the use, the decision, the policy version and, when
consent was decided against a ledger, the ledger's head (event count and hash), so that
the decision can be reproduced from the same policy files and the ledger as it stood.

Writes are atomic per line: the file is opened with `O_APPEND` and each line is written
whole with a single `os.write`, so that lines from several threads or processes never
interleave. A crash can at worst leave a last line without its newline; `read_log`
skips such a torn last line (and says so), never failing on it. When a log is opened for
appending after such a crash, the torn line is ended first, so that the next decision
starts a line of its own; the reader then skips that line and reports its number.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import ClausulaError
from .models import Decision, Use

LOG_FORMAT = 1


class DecisionLogError(ClausulaError):
    """A log line that is not a logged decision: `path:line: sentence`."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One logged decision."""

    logged_at: str
    use: Mapping[str, Any]
    decision: Mapping[str, Any]
    policy_version: str
    ledger: Mapping[str, Any] | None = None
    line: int = 0

    @property
    def outcome(self) -> str:
        """allow, deny or pay."""
        return str(self.decision.get("decision", ""))

    def mentions(self, party: str) -> bool:
        """Whether the use or decision names `party`: as an artist, in the attribution, as
        the licensee or as a payee."""
        use = self.use
        if party in (use.get("artists") or ()) or party in (use.get("attribution") or {}):
            return True
        if use.get("licensee") == party:
            return True
        return any(p.get("payee") == party for p in self.decision.get("payments") or ())


@dataclass
class ReadResult:
    """The entries of a log and what was skipped."""

    entries: list[LogEntry] = field(default_factory=list)
    torn_last_line: bool = False
    skipped: list[tuple[int, str]] = field(default_factory=list)
    """(line, why) of each complete line that is not a logged decision."""


def _now() -> datetime:
    return datetime.now(UTC)


class DecisionLog:
    """Appends decisions to a JSON Lines file (created if missing).

    `clock` gives the time stamp of each line (inject a fixed one in tests); `ledger_head`,
    if given, returns the ledger's (event count, hash) to record with each decision.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = _now,
        ledger_head: Callable[[], tuple[int, str]] | None = None,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.ledger_head = ledger_head
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._end_torn_line()

    def _end_torn_line(self) -> None:
        """If a crash left the last line without its newline, end it."""
        size = os.fstat(self._fd).st_size
        if size == 0:
            return
        with open(self.path, "rb") as reader:
            reader.seek(size - 1)
            if reader.read(1) != b"\n":
                os.write(self._fd, b"\n")

    def close(self) -> None:
        """Close the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def line_for(self, use: Use, decision: Decision) -> bytes:
        """The bytes of one log line (ending in a newline)."""
        entry: dict[str, Any] = {
            "format": LOG_FORMAT,
            "logged_at": self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "policy_version": decision.policy.version,
            "use": use.model_dump(mode="json", exclude_defaults=True),
            "decision": json.loads(decision.to_json()),
        }
        if self.ledger_head is not None:
            events, head = self.ledger_head()
            entry["ledger"] = {"events": events, "head": head}
        text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        return (text + "\n").encode("utf-8")

    def append(self, use: Use, decision: Decision) -> None:
        """Append one decision as one line, with a single write."""
        data = self.line_for(use, decision)
        written = os.write(self._fd, data)
        if written != len(data):  # a full disk: never leave a half line for the next one
            os.write(self._fd, b"\n")
            raise OSError(f"only {written} of {len(data)} bytes of a log line were written")


def read_log(path: str | Path, *, strict: bool = False) -> ReadResult:
    """Every logged decision in a log file, in order.

    A last line without its newline (a write cut short by a crash) is skipped and
    reported in `torn_last_line`. Any other line that is not a logged decision (a torn
    line ended when the log was reopened) is skipped and listed in `skipped` — or, with
    `strict`, raises `DecisionLogError` with its line number.
    """
    shown = str(path)
    raw = Path(path).read_bytes()
    result = ReadResult()
    lines = raw.split(b"\n")
    last = len(lines) - 1  # after the final newline, lines[last] is b""
    for index, chunk in enumerate(lines):
        number = index + 1
        if index == last:
            if chunk.strip():
                result.torn_last_line = True
            break
        if not chunk.strip():
            continue
        try:
            item = json.loads(chunk.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            if strict:
                raise DecisionLogError(shown, number, "this line is not JSON") from None
            result.skipped.append((number, "this line is not JSON"))
            continue
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("use"), dict)
            or not isinstance(item.get("decision"), dict)
        ):
            if strict:
                raise DecisionLogError(shown, number, "this line is not a logged decision")
            result.skipped.append((number, "this line is not a logged decision"))
            continue
        ledger = item.get("ledger")
        result.entries.append(
            LogEntry(
                logged_at=str(item.get("logged_at", "")),
                use=item["use"],
                decision=item["decision"],
                policy_version=str(item.get("policy_version", "")),
                ledger=ledger if isinstance(ledger, dict) else None,
                line=number,
            )
        )
    return result


def iter_log(path: str | Path) -> Iterator[LogEntry]:
    """The entries of `read_log(path)`."""
    yield from read_log(path).entries
