"""The consent ledger: an append-only, hash-chained history of grants, amendments and
revocations in SQLite or PostgreSQL, which the engine decides against as of a use's date.

    from clausula.ledger import Ledger
    ledger = Ledger("sqlite:///policies/consent.db")
    ledger.grant(grant)                       # a ConsentGrant
    ledger.revoke("g-roth-generation", date(2026, 5, 1), "withdrawn")
    ledger.records_for("isni:0000000368570205", as_of=date(2026, 4, 30))
    ledger.verify()                           # the first broken event, if any
    Ledger(url, key="ledger.key")             # the head signed outside the database

See docs/ledger.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .anchor import KEY_ENV, HeadAnchor, SignedHead, generate_key
from .events import AMENDABLE, GENESIS, Event, GrantHistory, NewEvent
from .rows import (
    CSV_COLUMNS,
    Format,
    RowProblem,
    RowsError,
    Vocabulary,
    format_of,
    read_rows,
    record_rows,
    write_rows,
)
from .store import (
    DEFAULT_FILE,
    Appender,
    ChainBroken,
    Ledger,
    LedgerError,
    RecordedEvents,
    VerifyResult,
    current_user,
    default_url,
    display_url,
)

__all__ = [
    "AMENDABLE",
    "CSV_COLUMNS",
    "DEFAULT_FILE",
    "GENESIS",
    "KEY_ENV",
    "Appender",
    "ChainBroken",
    "Event",
    "Format",
    "GrantHistory",
    "HeadAnchor",
    "Ledger",
    "LedgerError",
    "NewEvent",
    "RecordedEvents",
    "RowProblem",
    "RowsError",
    "SignedHead",
    "VerifyResult",
    "Vocabulary",
    "current_user",
    "default_url",
    "display_url",
    "format_of",
    "generate_key",
    "import_file",
    "read_rows",
    "record_rows",
    "write_rows",
]


def import_file(
    ledger: Ledger,
    path: str | Path,
    *,
    fmt: Format | None = None,
    vocabulary: Vocabulary | None = None,
    recorded_by: str | None = None,
    text: str | None = None,
) -> Sequence[Event]:
    """Validate every row of a YAML, JSON Lines or CSV file and record them all, or none.

    Raises `RowsError` (each bad row with its line) or `LedgerError`; `OSError` or
    `UnicodeDecodeError` when the file cannot be read. Without `text`, a JSON Lines or CSV
    file is read a line at a time. Returns the events as recorded, in order.
    """
    shown = str(path)
    chosen = format_of(path, fmt)
    options: dict[str, Any] = {"vocabulary": vocabulary, "recorded_by": recorded_by}
    if text is not None:
        return record_rows(ledger, text, shown, chosen, **options)
    if chosen == "yaml":
        content = Path(path).read_text(encoding="utf-8")
        return record_rows(ledger, content, shown, chosen, **options)
    with open(path, encoding="utf-8") as lines:
        return record_rows(ledger, lines, shown, chosen, **options)
