"""`clausula analyze` (issue 16): proofs about clause files with an SMT solver, and the
helpers `check --analyze` and `diff --prove` call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .cli import _console, _fail, app

if TYPE_CHECKING:
    from .diagnostics import Diagnostic
    from .prove.analyze import Report

TimeoutOption = Annotated[
    int,
    typer.Option(
        "--timeout",
        metavar="MS",
        min=1,
        help="The time one check may take, in milliseconds, before it answers `unknown`.",
    ),
]


def findings_as_diagnostics(report: Report) -> list[Diagnostic]:
    """The findings as warnings at their place, with the source line (for `check`, the LSP)."""
    out: list[Diagnostic] = []
    lines: dict[str, list[str]] = {}
    for finding in report.findings:
        if finding.path not in lines:
            try:
                lines[finding.path] = Path(finding.path).read_text(encoding="utf-8").splitlines()
            except OSError:
                lines[finding.path] = []
        text = lines[finding.path]
        source = text[finding.line - 1] if 0 < finding.line <= len(text) else None
        out.append(finding.diagnostic(finding.path, source))
    return out


def run_analysis(paths: list[Path], data: Path | None, timeout: int) -> Report:
    """Analyse `paths`, turning a policy set with errors into a plain failure."""
    from .diagnostics import PolicyError
    from .prove.analyze import analyze

    try:
        return analyze(paths, data, timeout)
    except PolicyError as error:
        from .render import print_diagnostics

        print_diagnostics(_console(stderr=True), error.diagnostics)
        _fail("the policy set has errors: fix them first (clausula check)")


@app.command("analyze")
def analyze_(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH...",
            help="Clause files or directories (with data/ beside them). Default: ./policies",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", metavar="DIR", help="The data files (default: PATH/data)."),
    ] = None,
    timeout: TimeoutOption = 5000,
    as_json: Annotated[bool, typer.Option("--json", help="The findings as JSON.")] = False,
) -> None:
    """Prove what the clauses can never do and show what can go wrong, with an SMT solver:
    dead clauses and rules, `unless` lines that never matter, permits overridden in every
    case, conflicts, gaps, shares of revenue above 100%, negative payments, minimums that
    make a share irrelevant. Each finding has its file:line:col and, when something *can*
    happen, a witness use the engine has re-decided. Exits 1 when there is a finding."""
    targets = list(paths) if paths else [Path("policies")]
    for target in targets:
        if not target.exists():
            _fail(f"cannot analyze {target}: there is no such file or directory")
    if data is not None and not data.is_dir():
        _fail(f"--data {data}: there is no such directory")
    report = run_analysis(targets, data, timeout)
    if as_json:
        typer.echo(json.dumps([f.as_dict() for f in report.findings], indent=2))
    else:
        out = _console()
        for finding in report.findings:
            out.print(
                f"{finding.where}: {finding.kind}: {finding.message}", soft_wrap=True, markup=False
            )
            if finding.region:
                out.print(f"  region: {finding.region}", soft_wrap=True, markup=False)
            if finding.witness is not None:
                out.print(f"  witness: {json.dumps(finding.witness)}", soft_wrap=True, markup=False)
        out.print(
            f"{len(report.findings)} finding(s) in {report.checks} checks, {report.seconds:.2f} s",
            soft_wrap=True,
            markup=False,
        )
    if any(f.kind != "unknown" for f in report.findings):
        raise typer.Exit(1)


def prove_diff(
    old: list[Path],
    new: list[Path],
    data: Path | None,
    licensees: tuple[str | None, str | None],
    timeout: int,
    as_json: bool,
) -> None:
    """`clausula diff OLD NEW --prove`: a proof of equivalence or the differences."""
    from .diagnostics import PolicyError
    from .prove.equivalence import prove, render

    try:
        proof = prove(old, new, data=data, licensees=licensees, timeout_ms=timeout)
    except PolicyError as error:
        from .render import print_diagnostics

        print_diagnostics(_console(stderr=True), error.diagnostics)
        _fail("cannot compare: a version has errors")
    except ValueError as error:
        _fail(str(error))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "equivalent": proof.equivalent,
                    "differences": [d.as_dict() for d in proof.differences],
                },
                indent=2,
            )
        )
    else:
        typer.echo(render(proof), nl=False)


def dead_sources(files: list[Path], timeout: int = 2000) -> set[str]:
    """`path:line:col` of every clause or rule in `files` that can never apply (dead, or
    set aside whenever it applies), for `clausula test --coverage`; empty when the files
    cannot be analysed (their errors are `clausula check`'s to report)."""
    from .diagnostics import PolicyError
    from .prove.analyze import analyze

    if not files:
        return set()
    try:
        report = analyze(sorted(set(files)), None, timeout)
    except (PolicyError, OSError, ValueError):
        return set()
    return {f.where for f in report.findings if f.kind in ("dead", "set-aside")}
