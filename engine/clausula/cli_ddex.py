"""`clausula catalogue import-ddex` and `clausula catalogue ddex-uses`: DDEX in and out.

`import-ddex` reads an ERN 4 NewReleaseMessage into a data file (works and parties),
checked as every data file is; `ddex-uses` decides uses and says, for each, the DDEX use
types the decision permits. docs/ddex.md.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from .cli import _fail, _policy_set_and_uses, _reason
from .cli_catalogue import catalogue_app
from .cli_options import DataOption, PoliciesOption


def _same_as(pairs: list[str]) -> dict[str, str]:
    from .identifiers import PARTY_SCHEMES, id_problem

    mapping: dict[str, str] = {}
    for pair in pairs:
        ddex_id, sep, ours = pair.partition("=")
        if not sep:
            _fail(
                f"--same-as takes DDEX_ID=OUR_ID, e.g. dpid:PADPIDA2013020802I="
                f"party:example-label; not `{pair}`",
                2,
            )
        for value in (ddex_id, ours):
            if problem := id_problem(value, PARTY_SCHEMES):
                _fail(f"--same-as {pair}: {problem}", 2)
        mapping[ddex_id] = ours
    return mapping


@catalogue_app.command("import-ddex")
def import_ddex(
    source: Annotated[
        Path, typer.Argument(metavar="FILE", help="A DDEX ERN 4 NewReleaseMessage (XML).")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the data file here (YAML). Default: standard output.",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            metavar="DIR",
            help="The data directory the file joins: "
            "parties and works it lists already are left out, and the new file is "
            "checked together with it.",
        ),
    ] = None,
    same_as: Annotated[
        list[str] | None,
        typer.Option(
            "--same-as",
            metavar="DDEX_ID=OUR_ID",
            help="A party of the message that the data knows under another id. Repeatable.",
        ),
    ] = None,
) -> None:
    """Import works, performers, rights holders and release dates from a DDEX ERN 4
    NewReleaseMessage into a data file, checked as the YAML data files are."""
    from .ddex import data_file_text, import_ern, rename_parties, without_known
    from .ddex_xml import MAX_XML_BYTES
    from .policy_set import load_data_alone

    try:
        # The size first: a file past the limit is refused without being read.
        if source.stat().st_size > MAX_XML_BYTES:
            _fail(f"{source} has more than {MAX_XML_BYTES:,} bytes, the most a DDEX file may have")
        raw = source.read_bytes()
    except OSError as error:
        _fail(f"cannot read {source}: {_reason(error)}")
    result, diagnostics = import_ern(raw, source.as_posix())
    if result is None:
        for diagnostic in diagnostics:
            typer.echo(diagnostic.render(), err=True)
        _fail(f"{source} was not imported: {len(diagnostics)} problem(s)")
    result = rename_parties(result, _same_as(same_as or []))
    if data is not None:
        if not data.is_dir():
            _fail(f"cannot load data from {data}: there is no such directory")
        existing, problems = load_data_alone(data)
        if existing is None:
            for diagnostic in problems:
                typer.echo(diagnostic.render(), err=True)
            _fail(f"the data in {data} has errors, so nothing was imported")
        result = without_known(result, set(existing.parties), set(existing.works))
    name = output.name if output is not None else "ddex-import.yaml"
    text = data_file_text(result, source.name)
    # Checked as the data loader checks every data file, beside the data it joins.
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        if data is not None:
            for path in sorted(data.iterdir()):
                if path.is_file() and path.suffix in (".yaml", ".yml") and path.name != name:
                    shutil.copyfile(path, folder / path.name)
        (folder / name).write_text(text, encoding="utf-8")
        checked, problems = load_data_alone(folder)
        if checked is None:
            for diagnostic in problems:
                typer.echo(diagnostic.render().replace(f"{folder.as_posix()}/", ""), err=True)
            _fail(f"{source} was read, but its data does not check: {len(problems)} problem(s)")
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    for deal in result.deals:
        for use_type, why in deal.mapping.unmapped:
            if use_type.value.startswith("UseFor") or use_type.namespace:
                typer.echo(f"note: {use_type.value} maps to no purpose: {why}", err=True)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {output}: {_reason(error)}")
    typer.echo(
        f"{output}: {len(result.works)} work(s) and {len(result.parties)} part(y/ies) "
        f"from DDEX ERN {result.version} message {result.message_id}",
    )


@catalogue_app.command("ddex-uses")
def ddex_uses(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="Uses: a .json file (one or an array), a .jsonl file, or - for standard input.",
            show_default=False,
        ),
    ],
    policies: PoliciesOption = Path("policies"),
    data: DataOption = None,
    xml: Annotated[
        bool, typer.Option("--xml", help="Print the <UseType> elements of a DDEX DealTerms.")
    ] = False,
) -> None:
    """Decide each use and print the DDEX use types the decision permits: those of its
    purpose when allowed (or allowed against payment), none when denied. One JSON object
    per line: the use's id, the decision, its territory and date, the `UseType`s, and the
    DDEX Allowed Value the purpose falls under."""
    from .ddex_use_types import category_of, permitted_use_types
    from .render import use_error_json
    from .use_input import UseError

    policy_set, uses = _policy_set_and_uses(source, policies, data)
    bad = 0
    for item in uses:
        if isinstance(item, UseError):
            bad += 1
            typer.echo(json.dumps(use_error_json(item), ensure_ascii=False))
            continue
        decision = policy_set.decide(item)
        use_types = permitted_use_types(decision.decision, item.purpose)
        if xml:
            category = category_of(item.purpose) or "no AI use type"
            typer.echo(f"<!-- {item.id}: {decision.decision}; a {category} -->")
            for use_type in use_types:
                typer.echo(use_type.to_xml())
            continue
        typer.echo(
            json.dumps(
                {
                    "id": item.id,
                    "decision": decision.decision,
                    "purpose": item.purpose,
                    "territory": item.territory,
                    "date": item.date.isoformat(),
                    "use_types": [u.to_json() for u in use_types],
                    "falls_under": category_of(item.purpose),
                },
                ensure_ascii=False,
            )
        )
    if bad:
        raise typer.Exit(1)
