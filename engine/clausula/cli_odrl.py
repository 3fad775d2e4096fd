"""`clausula export odrl CONTRACT` and `clausula import odrl FILE`: W3C ODRL 2.2 (issue 17).

What ODRL cannot say is written in the Clausula profile's extension terms and listed as
`note:` lines on stderr; nothing is dropped silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .cli_consent import fail, parse_day

export_app = typer.Typer(
    name="export",
    help="Write contracts in another format: odrl.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
import_app = typer.Typer(
    name="import",
    help="Read contracts from another format: odrl.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to this file instead of the screen.")
]


def _notes(notes: list[str]) -> None:
    for note in notes:
        typer.echo(f"note: {note}", err=True)


@export_app.command("odrl")
def export_odrl(
    contract: Annotated[Path, typer.Argument(help="A .clause file holding one contract.")],
    name: Annotated[
        str | None,
        typer.Option("--contract", help="The contract to export, if the file has several."),
    ] = None,
    out: OutOption = None,
) -> None:
    """Write a contract as a W3C ODRL 2.2 Agreement (JSON-LD)."""
    from .diagnostics import PolicyError
    from .odrl import export_file

    if not contract.is_file():
        fail(f"there is no file {contract}")
    try:
        exported = export_file(contract)
    except PolicyError as error:
        fail(f"{contract} does not parse", details=[str(d) for d in error.diagnostics[:5]])
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{contract} cannot be read: {error}")
    chosen = [e for e in exported if name is None or e.policy["uid"].endswith(":" + name)]
    if not chosen:
        fail(f"{contract} has no contract" + (f" named {name}" if name else ""))
    if len(chosen) > 1:
        fail(f"{contract} has {len(chosen)} contracts: name one with --contract")
    result = chosen[0]
    text = json.dumps(result.policy, indent=2, ensure_ascii=False) + "\n"
    _notes(result.notes)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@import_app.command("odrl")
def import_odrl(
    file: Annotated[Path, typer.Argument(help="An ODRL 2.2 policy in JSON-LD.")],
    licensee: Annotated[
        str | None,
        typer.Option(
            "--licensee", help="The licensee when the policy names no assignee (an Offer)."
        ),
    ] = None,
    effective: Annotated[
        str | None,
        typer.Option("--effective", help="The start of the term when the policy states none."),
    ] = None,
    party: Annotated[
        list[str] | None,
        typer.Option("--party", help="Name a party IRI of the policy: IRI=party:id (repeatable)."),
    ] = None,
    out: OutOption = None,
) -> None:
    """Read a W3C ODRL 2.2 policy as a contract in the clause language."""
    from .identifiers import PARTY_SCHEMES, id_problem
    from .odrl import OdrlError
    from .odrl.reader import import_file

    parties: dict[str, str] = {}
    for item in party or []:
        iri, sep, ident = item.rpartition("=")
        if not sep or not iri or id_problem(ident, PARTY_SCHEMES) is not None:
            fail(f"--party must be IRI=party-id, not `{item}`", 2)
        parties[iri] = ident
    if licensee is not None and (problem := id_problem(licensee, PARTY_SCHEMES)) is not None:
        fail(f"--licensee: {problem}", 2)
    if not file.is_file():
        fail(f"there is no file {file}")
    try:
        imported = import_file(
            file, licensee=licensee, effective=parse_day(effective, "--effective"), parties=parties
        )
    except OdrlError as error:
        fail(
            f"{file} is not an ODRL policy Clausula can import",
            details=[f"{file}:{pointer or '/'}: {message}" for pointer, message in error.problems],
        )
    except OSError as error:
        fail(f"{file} cannot be read: {error}")
    _notes(imported.notes)
    if out is None:
        typer.echo(imported.text, nl=False)
    else:
        out.write_text(imported.text, encoding="utf-8")
