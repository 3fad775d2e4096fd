"""`clausula catalogue tdm`: read TDM reservations for the works of a catalogue (issue 17).

Reads TDMRep (well-known file, HTTP fields, HTML meta), robots.txt AI-crawler groups and
AI-preferences `Content-Usage` signals from responses captured to disk — fetching them
only with `--fetch` — and writes the reservations found, with their source and the day
seen, as the `tdm_reservations` section of a data file, which the DSM pack's reasons cite.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from .cli_catalogue import catalogue_app
from .cli_consent import fail, parse_day

RESERVATIONS_FILE = "tdm-reservations.yaml"


def _dump(findings: list[Any], seen: dt.date) -> str:
    import yaml

    entries = []
    for finding in findings:
        if finding.reservation is None:
            continue
        entry = finding.reservation.model_dump(mode="json", exclude_none=True)
        entries.append(entry)
    head = (
        f"# TDM reservations found by `clausula catalogue tdm` on {seen.isoformat()}.\n"
        "# Each makes its work `tdm_reserved`; the DSM pack's reasons cite the source.\n"
    )
    body = yaml.safe_dump(
        {"tdm_reservations": entries}, sort_keys=False, allow_unicode=True, width=1000
    )
    return head + body


@catalogue_app.command("tdm")
def tdm(
    captures: Annotated[
        Path, typer.Option("--captures", help="Directory of HTTP responses captured to disk.")
    ],
    data: Annotated[
        Path, typer.Option("--data", help="Directory of the catalogue data files.")
    ] = Path("policies/data"),
    fetch: Annotated[
        bool,
        typer.Option(
            "--fetch", help="Fetch each URL (and capture it) instead of only reading captures."
        ),
    ] = False,
    on: Annotated[
        str | None,
        typer.Option("--on", help="The day the signals were seen (YYYY-MM-DD). Default: today."),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help=f"Write the reservations here (default: DATA/{RESERVATIONS_FILE}; - for the screen).",
        ),
    ] = None,
    policies_out: Annotated[
        Path | None,
        typer.Option(
            "--policies-out",
            help="Import each tdm-policy that is an ODRL policy as a contract here.",
        ),
    ] = None,
    licensee: Annotated[
        str | None,
        typer.Option(
            "--licensee", help="The licensee of the imported tdm-policies (they are Offers)."
        ),
    ] = None,
) -> None:
    """Read the TDM reservations of the catalogue's works and record them as data."""
    from .policy_set import load_data_alone
    from .tdm import scan_works

    seen = parse_day(on, "--on") or dt.date.today()
    if not captures.is_dir() and not fetch:
        fail(f"there is no capture directory {captures} (use --fetch to capture)")
    if policies_out is not None and licensee is None:
        fail("--policies-out needs --licensee: a tdm-policy is an Offer to anyone", 2)
    reserved_file = data / RESERVATIONS_FILE
    dataset, diagnostics = load_data_alone(data)
    if dataset is None:
        fail(f"the data in {data} have errors", details=[str(d) for d in diagnostics[:5]])
    captures.mkdir(parents=True, exist_ok=True)
    findings = scan_works(dataset.works.values(), captures, seen, fetching=fetch)
    for finding in findings:
        if finding.url is None:
            continue
        if finding.reservation is not None:
            line = f"{finding.work}: reserved, {finding.reservation.evidence()}"
        else:
            line = f"{finding.work}: not reserved"
        typer.echo(line)
        for note in finding.notes:
            typer.echo(f"  note: {note}")
    text = _dump(findings, seen)
    if out == "-":
        typer.echo(text, nl=False)
    else:
        target = Path(out) if out is not None else reserved_file
        target.write_text(text, encoding="utf-8")
        count = sum(1 for f in findings if f.reservation is not None)
        typer.echo(f"{count} reservation(s) written to {target}")
    if policies_out is not None and licensee is not None:
        failed = _import_policies(findings, captures, fetch, policies_out, licensee)
        if failed:
            raise typer.Exit(1)


def _import_policies(
    findings: list[Any], captures: Path, fetching: bool, out: Path, licensee: str
) -> bool:
    """Import each distinct machine-readable tdm-policy through the ODRL reader."""
    from .odrl import OdrlError, import_text
    from .tdm.captures import CaptureError, fetch, read

    failed = False
    out.mkdir(parents=True, exist_ok=True)
    for url in sorted({f.policy for f in findings if f.policy}):
        try:
            response = fetch(captures, url) if fetching else read(captures, url)
        except CaptureError as error:
            typer.echo(f"tdm-policy {url}: {error}", err=True)
            failed = True
            continue
        if response is None:
            typer.echo(f"tdm-policy {url}: not captured; not imported")
            continue
        try:
            imported = import_text(response.body, licensee=licensee)
        except OdrlError as error:
            failed = True
            for pointer, message in error.problems:
                typer.echo(f"tdm-policy {url}:{pointer or '/'}: {message}", err=True)
            continue
        path = out / f"{imported.name}.clause"
        path.write_text(imported.text, encoding="utf-8")
        typer.echo(f"tdm-policy {url}: imported as {path}")
        for note in imported.notes:
            typer.echo(f"  note: {note}")
    return failed
