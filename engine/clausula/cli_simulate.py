"""`clausula simulate` and `clausula diff` (issue 5): negotiation tools on the Typer app."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .cli import _console, _fail, app


def _print_policy_errors(error: Any) -> None:
    from .render import print_diagnostics

    print_diagnostics(_console(stderr=True), error.diagnostics)


@app.command()
def simulate(
    scenario: Annotated[
        Path | None,
        typer.Argument(metavar="SCENARIO", help="A scenario file (YAML).", show_default=False),
    ] = None,
    runs: Annotated[
        int | None,
        typer.Option("--runs", min=1, help="Monte Carlo runs (default: the scenario's)."),
    ] = None,
    no_sweeps: Annotated[
        bool, typer.Option("--no-sweeps", help="Skip the scenario's sweeps.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", metavar="FILE", help="Write a CSV.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json-out", metavar="FILE", help="Write the JSON to a file.")
    ] = None,
    charts: Annotated[
        Path | None, typer.Option("--charts", metavar="DIR", help="Write the charts as PNG files.")
    ] = None,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Write one self-contained HTML report."),
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of a scenario file and exit.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes deciding variants side by side (default: one per CPU core; "
            "the results do not depend on it).",
        ),
    ] = None,
) -> None:
    """Simulate term sheets on a catalogue and projected usage: who is paid what, what is
    blocked, where — every variant on the same generated uses.

    Prints a table side by side (or `--json`); writes CSV, JSON, PNG charts and an HTML
    report on request. A progress bar shows on long runs.
    """
    from .simulate import ScenarioError, load_scenario, report
    from .simulate import schema as scenario_schema
    from .simulate import simulate as run_simulation

    if schema:
        typer.echo(json.dumps(scenario_schema(), indent=2, ensure_ascii=False))
        return
    if scenario is None:
        _fail(
            "name a scenario file, e.g. clausula simulate policies/scenarios/blanket-vs-optin.yaml",
            2,
        )
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as error:
        err = _console(stderr=True)
        for problem in error.problems:
            err.print(problem, soft_wrap=True, markup=False)
        _fail(f"{scenario} cannot be simulated")
    progress_bar: Any = None
    task: Any = None

    def progress(label: str, done: int, total: int) -> None:
        nonlocal progress_bar, task
        if progress_bar is None:
            from rich.progress import Progress

            progress_bar = Progress(console=_console(stderr=True), transient=True)
            progress_bar.start()
            task = progress_bar.add_task("simulating", total=total)
        progress_bar.update(task, completed=done, total=total, description=label)

    show = sys.stderr.isatty() and not as_json
    try:
        result = run_simulation(
            loaded,
            runs=runs,
            with_sweeps=not no_sweeps,
            progress=progress if show else None,
            workers=workers,
        )
    except ScenarioError as error:
        err = _console(stderr=True)
        for problem in error.problems:
            err.print(problem, soft_wrap=True, markup=False)
        _fail(f"{scenario} cannot be simulated")
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    try:
        if csv_out is not None:
            report.write_csv(result, csv_out)
        if json_out is not None:
            report.write_json(result, json_out)
        if charts is not None:
            report.write_charts(result, charts)
        if html_out is not None:
            html_out.write_text(report.html_report(result), encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {error.filename}: {error.strerror}")
    if as_json:
        typer.echo(json.dumps(report.summary(result), indent=2, ensure_ascii=False))
        return
    out = _console()
    out.print(report.table(result))
    for grid in report.sweep_tables(result):
        out.print(grid)
    out.print(
        f"{sum(result.uses_per_run):,} uses in {len(result.uses_per_run)} run(s), "
        f"{result.shapes:,} distinct shapes, {result.seconds:.1f} s",
        soft_wrap=True,
    )


@app.command("diff")
def diff_(
    old: Annotated[
        Path, typer.Argument(metavar="OLD", help="The old terms: a clause file or directory.")
    ],
    new: Annotated[
        Path, typer.Argument(metavar="NEW", help="The new terms: a clause file or directory.")
    ],
    shared: Annotated[
        list[Path] | None,
        typer.Option(
            "--with",
            metavar="PATH",
            help="Clause files or directories loaded with both versions (e.g. policies/jurisdictions). Repeatable.",
        ),
    ] = None,
    old_licensee: Annotated[
        str | None, typer.Option("--old-licensee", help="The licensee of the old terms' uses.")
    ] = None,
    new_licensee: Annotated[
        str | None, typer.Option("--new-licensee", help="The licensee of the new terms' uses.")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD", help="The date of the uses compared."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The differences as JSON.")] = False,
    prove: Annotated[
        bool,
        typer.Option(
            "--prove",
            help="Prove with an SMT solver: equivalence for every use, or each kind of "
            "difference with a minimal witness and its region (docs/analyze.md).",
        ),
    ] = False,
    data: Annotated[
        Path | None,
        typer.Option("--data", metavar="DIR", help="With --prove: the records both versions read."),
    ] = None,
) -> None:
    """What two versions of the terms decide differently: over every purpose, territory
    group, context, output, consent state and two representative amounts, which uses change
    decision or payment, and which duties appear or disappear, with an example use and the
    clauses responsible."""
    from .diagnostics import PolicyError
    from .diff import diff, render

    for path in (old, new, *(shared or [])):
        if not path.exists():
            _fail(f"cannot compare: there is no file or directory {path}")
    day = None
    if date is not None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            _fail(f"--date: `{date}` is not a date such as 2026-09-01", 2)
    if prove:  # issue 16: proofs instead of samples
        from .cli_analyze import prove_diff

        paths = [*(shared or [])]
        prove_diff([old, *paths], [new, *paths], data, (old_licensee, new_licensee), 5000, as_json)
        return
    try:
        result = diff(
            [old, *(shared or [])],
            [new, *(shared or [])],
            licensee=(old_licensee, new_licensee),
            date=day,
        )
    except PolicyError as error:
        _print_policy_errors(error)
        _fail("the terms have errors, so they were not compared")
    except ValueError as error:
        _fail(str(error))
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(render(result), nl=False)
