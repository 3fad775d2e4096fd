"""`clausula filter` for Parquet and JSON Lines manifests, and `clausula statement`.

`filter` itself is registered by `cli_serve`; a manifest whose suffix is `.parquet` or
`.jsonl` is handed to `filter_files` here (CSV manifests keep the row filter of
`clausula.manifest`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .cli import _console, _fail, _load_failed, _require_policies, app
from .cli_options import AssumeOption, DataOption, PoliciesOption, WorkersOption


def _load(policies: Path, data: Path | None, assume: list[str] | None) -> Any:
    """The policy set with its checked text, for the batch core's grouping."""
    from .batch import load_files
    from .diagnostics import PolicyError

    _require_policies(policies)
    if data is None and (policies / "data").is_dir():  # as `clausula.load` finds it
        data = policies / "data"
    try:
        return load_files([policies], data=data, assume=list(assume or ()))
    except PolicyError as error:
        _load_failed(
            error.diagnostics, policies, "the policies have errors, so nothing was decided"
        )
    except (OSError, ValueError) as error:
        _fail(f"cannot load policies: {error}")


def filter_files(
    manifest: str,
    template_path: Path | None,
    output: str,
    policies: Path,
    data: Path | None,
    assume: list[str] | None,
    summary_path: Path | None,
    progress: bool,
    workers: int | None = None,
) -> None:
    """Decide a Parquet or JSON Lines manifest, a batch at a time, into `output`."""
    import json

    from .manifest import ManifestError, load_template
    from .table_files import filter_table, format_of

    if output == "-" or (format_of(output) == "csv" and not output.endswith(".csv")):
        _fail("write the decisions of a Parquet or JSON Lines manifest to a .parquet, "
              ".jsonl or .csv file")  # fmt: skip
    try:
        template = load_template(template_path) if template_path is not None else {}
    except ManifestError as error:
        _fail(str(error))
    loaded = _load(policies, data, assume)
    err = _console(stderr=True)
    try:
        if progress and err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            with Progress(
                TextColumn("deciding"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows"),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("rows", total=None)

                def report(rows: int, total: int) -> None:
                    bar.update(task, completed=rows, total=total or None)

                summary = filter_table(
                    loaded, manifest, output, template=template, progress=report, workers=workers
                )
        else:
            summary = filter_table(loaded, manifest, output, template=template, workers=workers)
    except ManifestError as error:
        _fail(str(error))
    err.print(summary.text(), soft_wrap=True, markup=False, highlight=False)
    if summary_path is not None:
        try:
            summary_path.write_text(json.dumps(summary.to_json(), indent=2) + "\n", "utf-8")
        except OSError as error:
            _fail(f"cannot write {summary_path}: {error.strerror}")


@app.command("statement")
def statement_(
    usage: Annotated[
        Path,
        typer.Argument(
            metavar="USAGE.parquet",
            help="The usage log: uses with metrics (Parquet or JSON Lines).",
        ),
    ],
    period: Annotated[
        str,
        typer.Option("--period", help="2026-09 (a month) or 2026-09-01..2026-09-15."),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Directory for the statements.")
    ] = Path("statements"),
    use: Annotated[
        Path | None,
        typer.Option(
            "--use", "-u", metavar="TEMPLATE.yaml", help="Use fields the log's columns leave out."
        ),
    ] = None,
    csv_files: Annotated[
        bool, typer.Option("--csv", help="Write totals and lines as CSV instead of Parquet.")
    ] = False,
    policies: PoliciesOption = Path("policies"),
    data: DataOption = None,
    assume: AssumeOption = None,
    workers: WorkersOption = None,
) -> None:
    """Per-payee royalty statements for a period, from a usage log.

    Decides every use of the period and writes DIR/totals (per payee, currency and rule:
    the exact sum and the number of payments), DIR/lines (every payment with the use it comes
    from) and a Markdown and an HTML page per payee under DIR/payees/.
    """
    from .manifest import ManifestError, load_template
    from .statement import StatementError, parse_period, statement, write_statement
    from .table_files import read_batches

    if not usage.is_file():
        _fail(f"cannot read {usage}: there is no such file")
    try:
        span = parse_period(period)
        template = load_template(use) if use is not None else {}
    except (StatementError, ManifestError) as error:
        _fail(str(error))
    loaded = _load(policies, data, assume)
    try:
        made = statement(loaded, read_batches(usage), span, template=template, workers=workers)
        files = write_statement(made, out, kind="csv" if csv_files else "parquet")
    except (ManifestError, StatementError) as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"cannot write {out}: {error.strerror}")
    err = _console(stderr=True)
    counts = ", ".join(f"{n:,} {d}" for d, n in sorted(made.decisions.items())) or "no uses"
    err.print(
        f"{span.label}: {counts}; {len(made.payees()):,} payees, {made.lines.num_rows:,} "
        f"payment lines; {len(files)} files in {out}",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
