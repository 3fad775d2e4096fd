"""`clausula consent …`: record, inspect, import, export and verify the consent ledger.

Every command takes `--ledger URL` (default: the SQLite file `consent.db` beside the
policies, created on first use; or the `CLAUSULA_LEDGER` environment variable). Exit
status 0 on success, 1 for wrong input or a broken ledger, 2 for usage errors.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from .consent import ConsentRecord
    from .ledger import Event, Ledger, Vocabulary

consent_app = typer.Typer(
    name="consent",
    help="The consent ledger: grant, amend, revoke, list, show, history, import, export, "
    "verify, keygen, sign-head.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

LedgerOption = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        envvar="CLAUSULA_LEDGER",
        metavar="URL",
        help="Ledger database: sqlite:///FILE, postgresql://… or a file path. "
        "Default: consent.db in the policy directory.",
        show_default=False,
    ),
]
KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger-key",
        envvar="CLAUSULA_LEDGER_KEY",
        metavar="FILE",
        help="The ledger's Ed25519 key (`clausula consent keygen`): every write signs the "
        "head beside it, and verify checks the ledger against that signed head.",
        show_default=False,
    ),
]
PoliciesOption = Annotated[
    Path,
    typer.Option("--policies", "-p", help="Policy directory (vocabulary; default ledger place)."),
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", metavar="NAME", help="Who records the event. Default: your login name."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON for machines.")]


def fail(message: str, code: int = 1, details: list[str] | None = None) -> NoReturn:
    """Print `error: message` (and each detail) on stderr and exit."""
    for line in details or ():
        typer.echo(line, err=True)
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def parse_day(value: str | None, what: str) -> date | None:
    """A `YYYY-MM-DD` option value, or exit 2 with a sentence."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{what} must be a date written YYYY-MM-DD, not `{value}`", 2)


def open_ledger(url: str | None, policies: Path, key: Path | None = None) -> Ledger:
    """Open the ledger named, or the default one beside the policies, with the key given
    (default: `CLAUSULA_LEDGER_KEY`); exit 1 on failure."""
    from .ledger import Ledger, LedgerError, default_url

    if url is None and not policies.is_dir():
        fail(
            f"there is no policy directory {policies} to keep the ledger in; "
            "use --policies DIR or --ledger URL"
        )
    try:
        return Ledger(url or default_url(policies), key=key)
    except LedgerError as error:
        fail(str(error))


def vocabulary_of(policies: Path) -> Vocabulary:
    """The purposes and territory check of the policies; exit 1 if they do not load."""
    from .diagnostics import PolicyError
    from .ledger import Vocabulary
    from .policy_set import load

    if not policies.is_dir():
        fail(
            f"cannot check purposes and territories: there is no policy directory {policies} "
            "(use --policies DIR)"
        )
    try:
        policy_set = load(policies)
    except PolicyError as error:
        fail(
            f"the policies in {policies} have errors; run `clausula check {policies}`",
            details=[str(d) for d in error.diagnostics[:5]],
        )
    vocabulary = policy_set.compiled.vocabulary
    return Vocabulary(vocabulary.purposes, vocabulary.territories.problem)


def _record(ledger: Ledger, rows: list[dict[str, Any]], policies: Path, by: str | None) -> None:
    from .ledger import LedgerError, read_rows

    text = "\n".join(json.dumps(row, default=str) for row in rows)
    from .ledger import RowsError

    try:
        events = read_rows(
            text, "command line", "jsonl", vocabulary=vocabulary_of(policies), existing=ledger.known
        )
        recorded = ledger.append(events, recorded_by=by)
    except RowsError as error:
        fail("nothing was recorded", details=[p.message for p in error.problems])
    except LedgerError as error:
        fail(str(error))
    for event in recorded:
        typer.echo(
            f"recorded event {event.seq}: {event.kind} of grant {event.grant} "
            f"(hash {event.hash[:12]}…)"
        )


@consent_app.command("grant")
def grant_(
    grant_id: Annotated[str, typer.Option("--id", help="The grant id.")],
    grantor: Annotated[
        str, typer.Option("--grantor", help="Who signed: the artist, estate or guardian.")
    ],
    grantee: Annotated[str, typer.Option("--grantee", help="The licensee, or `any`.")],
    purpose: Annotated[
        list[str], typer.Option("--purpose", help="A purpose (repeatable), or `any`.")
    ],
    territory: Annotated[list[str], typer.Option("--territory", help="A territory (repeatable).")],
    valid_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    valid_until: Annotated[str | None, typer.Option("--until", help="Last day, included.")] = None,
    except_territory: Annotated[
        list[str] | None, typer.Option("--except", help="A territory carved out (repeatable).")
    ] = None,
    formality: Annotated[
        list[str] | None, typer.Option("--formality", help="in_writing, signed, … (repeatable).")
    ] = None,
    on_behalf_of: Annotated[
        str | None,
        typer.Option("--on-behalf-of", help="The artist, when an estate or guardian grants."),
    ] = None,
    signed_on: Annotated[str | None, typer.Option("--signed-on", help="Date signed.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free text.")] = None,
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
    by: ByOption = None,
) -> None:
    """Record a new grant of consent."""
    row: dict[str, Any] = {
        "event": "grant",
        "id": grant_id,
        "grantor": grantor,
        "grantee": grantee,
        "purposes": purpose,
        "territories": territory,
        "valid_from": valid_from,
    }
    optional = {
        "valid_until": valid_until,
        "on_behalf_of": on_behalf_of,
        "signed_on": signed_on,
        "note": note,
    }
    row.update({k: v for k, v in optional.items() if v is not None})
    if except_territory:
        row["except_territories"] = except_territory
    if formality:
        row["formalities"] = formality
    with open_ledger(ledger, policies, ledger_key) as store:
        _record(store, [row], policies, by)


@consent_app.command("amend")
def amend_(
    grant_id: Annotated[str, typer.Argument(metavar="GRANT", help="The grant to amend.")],
    effective: Annotated[str, typer.Option("--from", help="In effect from this day on.")],
    purpose: Annotated[
        list[str] | None, typer.Option("--purpose", help="New purposes (repeatable).")
    ] = None,
    territory: Annotated[
        list[str] | None, typer.Option("--territory", help="New territories.")
    ] = None,
    except_territory: Annotated[
        list[str] | None, typer.Option("--except", help="New exclusions.")
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option("--until", help="New last day, or `none`.")
    ] = None,
    formality: Annotated[
        list[str] | None, typer.Option("--formality", help="New formalities.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="New note.")] = None,
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
    by: ByOption = None,
) -> None:
    """Record an amendment of a grant, in effect from a day on (earlier days keep the old terms)."""
    row: dict[str, Any] = {"event": "amend", "grant": grant_id, "date": effective}
    for key, value in (
        ("purposes", purpose),
        ("territories", territory),
        ("except_territories", except_territory),
        ("formalities", formality),
    ):
        if value:
            row[key] = value
    if valid_until is not None:
        row["valid_until"] = None if valid_until == "none" else valid_until
    if note is not None:
        row["note"] = note
    with open_ledger(ledger, policies, ledger_key) as store:
        _record(store, [row], policies, by)


@consent_app.command("revoke")
def revoke_(
    grant_id: Annotated[str, typer.Argument(metavar="GRANT", help="The grant to revoke.")],
    effective: Annotated[
        str | None, typer.Option("--date", help="In effect from this day on. Default: today.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
    by: ByOption = None,
) -> None:
    """Record the revocation of a grant, from a day on; uses before that day stay covered."""
    day = parse_day(effective, "--date") or date.today()
    row: dict[str, Any] = {"event": "revoke", "grant": grant_id, "date": day.isoformat()}
    if reason:
        row["reason"] = reason
    with open_ledger(ledger, policies, ledger_key) as store:
        _record(store, [row], policies, by)


def _record_json(record: ConsentRecord, on: date | None) -> dict[str, Any]:
    from .ledger.events import grant_payload

    return {
        "grant": grant_payload(record.grant),
        "artist": record.artist,
        "revoked_on": record.revoked_on.isoformat() if record.revoked_on else None,
        "revocation_reason": record.revocation_reason,
        "active": record.active_on(on or date.today()),
    }


def _record_line(record: ConsentRecord, on: date | None) -> str:
    grant = record.grant
    until = grant.valid_until or "…"
    state = (
        f"revoked on {record.revoked_on}"
        if record.revoked_on
        else "active"
        if record.active_on(on or date.today())
        else "not in term"
    )
    where = " ".join(grant.territories) + (
        f" except {' '.join(grant.except_territories)}" if grant.except_territories else ""
    )
    return (
        f"{grant.id}  {record.artist} → {grant.grantee}  {', '.join(grant.purposes)}  "
        f"{where}  {grant.valid_from} – {until}  [{state}]"
    )


@consent_app.command("list")
def list_(
    artist: Annotated[
        str | None, typer.Option("--artist", help="Only this artist's grants.")
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--on", help="The state on this day (default: everything recorded)."),
    ] = None,
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
    as_json: JsonOption = False,
) -> None:
    """List grants as they stood on a day: amended as then in effect, revoked if by then."""
    day = parse_day(on, "--on")
    with open_ledger(ledger, policies, ledger_key) as store:
        records = list(store.records_for(artist, as_of=day)) if artist else store.state_on(day)
    if as_json:
        typer.echo(json.dumps([_record_json(r, day) for r in records], ensure_ascii=False))
        return
    if not records:
        typer.echo("no grants recorded" + (f" for {artist}" if artist else ""))
    for record in records:
        typer.echo(_record_line(record, day))


def _event_json(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "kind": event.kind,
        "grant": event.grant,
        "artist": event.artist,
        "effective": event.effective.isoformat(),
        "data": dict(event.data),
        "recorded_by": event.recorded_by,
        "recorded_at": event.recorded_at,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _event_line(event: Event) -> str:
    detail = ""
    if event.kind == "amend":
        detail = "  " + ", ".join(f"{k}={v}" for k, v in event.data.items())
    elif event.kind == "revoke" and event.data.get("reason"):
        detail = f"  ({event.data['reason']})"
    return (
        f"#{event.seq}  {event.recorded_at}  {event.recorded_by}  {event.kind} {event.grant} "
        f"from {event.effective}{detail}"
    )


@consent_app.command("show")
def show(
    grant_id: Annotated[str, typer.Argument(metavar="GRANT")],
    on: Annotated[
        str | None, typer.Option("--on", help="The grant as it stood on this day.")
    ] = None,
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
    as_json: JsonOption = False,
) -> None:
    """Show one grant (as on a day) and every event recorded about it."""
    day = parse_day(on, "--on")
    with open_ledger(ledger, policies, ledger_key) as store:
        history = store.history(grant_id)
        events = list(store.events(grant=grant_id))
    if history is None:
        fail(f"there is no grant {grant_id} in the ledger")
    record = history.record(day)
    if as_json:
        typer.echo(
            json.dumps(
                {**_record_json(record, day), "events": [_event_json(e) for e in events]},
                ensure_ascii=False,
            )
        )
        return
    typer.echo(_record_line(record, day))
    for key, value in record.grant.model_dump(exclude_none=True).items():
        shown = ", ".join(sorted(value)) if isinstance(value, frozenset | list) else value
        typer.echo(f"  {key}: {shown}")
    typer.echo("events:")
    for event in events:
        typer.echo("  " + _event_line(event))


@consent_app.command("history")
def history_(
    grant_id: Annotated[str | None, typer.Option("--grant", help="Only this grant.")] = None,
    artist: Annotated[str | None, typer.Option("--artist", help="Only this artist.")] = None,
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
    as_json: JsonOption = False,
) -> None:
    """Every event in the order recorded, with who recorded it and when."""
    with open_ledger(ledger, policies, ledger_key) as store:
        for event in store.events(grant=grant_id, artist=artist):
            typer.echo(
                json.dumps(_event_json(event), ensure_ascii=False)
                if as_json
                else _event_line(event)
            )


@consent_app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(metavar="FILE", help=".yaml, .jsonl or .csv")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="yaml, jsonl or csv (default: by suffix).")
    ] = None,
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
    by: ByOption = None,
) -> None:
    """Import events from YAML, JSON Lines or CSV: every row is checked, and either all are
    recorded or none (each bad row is named by its line)."""
    from .ledger import LedgerError, RowsError, format_of, import_file

    try:
        chosen = format_of(source, fmt)
    except ValueError as error:
        fail(str(error), 2)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        fail(f"cannot read {source}: {reason}")
    vocabulary = vocabulary_of(policies)
    with open_ledger(ledger, policies, ledger_key) as store:
        try:
            events = import_file(
                store, source, fmt=chosen, vocabulary=vocabulary, recorded_by=by, text=text
            )
        except RowsError as error:
            fail(
                f"{len(error.problems)} bad row(s) in {source}; nothing was imported",
                details=[str(p) for p in error.problems],
            )
        except LedgerError as error:
            fail(f"{error}; nothing was imported", details=error.problems)
    typer.echo(f"imported {len(events)} event(s) from {source}")


@consent_app.command("export")
def export(
    target: Annotated[
        str, typer.Argument(metavar="FILE", help="File to write, or - for standard output.")
    ] = "-",
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="yaml, jsonl or csv (default: by suffix; jsonl on stdout)."),
    ] = None,
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
) -> None:
    """Export every event, oldest first, in a form `consent import` reads."""
    from .ledger import format_of, write_rows

    try:
        chosen = format_of(target, fmt) if (target != "-" or fmt) else "jsonl"
    except ValueError as error:
        fail(str(error), 2)
    with open_ledger(ledger, policies, ledger_key) as store:
        if target == "-":
            write_rows(store.events(), chosen, sys.stdout)
            return
        try:
            with open(target, "w", encoding="utf-8", newline="") as out:
                count = write_rows(store.events(), chosen, out)
        except OSError as error:
            fail(f"cannot write {target}: {error.strerror or error}")
    typer.echo(f"exported {count} event(s) to {target}", err=True)


@consent_app.command("verify")
def verify(
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
    as_json: JsonOption = False,
) -> None:
    """Check the hash chain: exit 0 if every event is as recorded, else 1 naming the first
    broken event."""
    with open_ledger(ledger, policies, ledger_key) as store:
        result = store.verify()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "events": result.events,
                    "head": result.head,
                    "broken_event": result.broken_seq,
                    "message": result.message,
                }
            )
        )
    elif result.ok:
        typer.echo(f"ledger intact: {result.events} event(s), head {result.head}")
    if not result.ok:
        if not as_json:
            typer.echo(f"error: the ledger has been tampered with: {result.message}", err=True)
        raise typer.Exit(1)


@consent_app.command("keygen")
def keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the new key (never overwritten).")],
) -> None:
    """Make an Ed25519 key to sign the ledger's head with. Keep it outside the database
    (and away from whoever can write to it); the signed head is kept beside it."""
    from .ledger import generate_key

    try:
        generate_key(path)
    except FileExistsError:
        fail(f"{path} exists already; a key is never overwritten")
    except OSError as error:
        fail(f"cannot write {path}: {error.strerror or error}")
    typer.echo(f"wrote the ledger key {path} (readable by you only)", err=True)


@consent_app.command("sign-head")
def sign_head(
    ledger: LedgerOption = None,
    ledger_key: KeyOption = None,
    policies: PoliciesOption = Path("policies"),
) -> None:
    """Verify the whole chain and, if it is sound, sign its head with the key: for a ledger
    recorded before it had a key, or written once without it. Exit 1 if the chain is broken."""
    from .ledger import LedgerError

    if ledger_key is None:
        fail("give the key to sign with: --ledger-key FILE (or CLAUSULA_LEDGER_KEY)", 2)
    with open_ledger(ledger, policies, ledger_key) as store:
        try:
            result = store.sign_head()
        except LedgerError as error:
            fail(str(error))
        anchor = store.anchor
    if not result.ok:
        fail(f"the ledger has been tampered with, so its head was not signed: {result.message}")
    assert anchor is not None
    typer.echo(f"signed the head of {result.events} event(s), {result.head}, in {anchor.head_path}")
