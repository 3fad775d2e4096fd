"""The tools for people who write clauses: `fmt`, `test`, `explain` and `render`.

They register themselves on the `clausula` app (see the end of clausula/cli.py). Bad input
is reported as `file:line:col: sentence` or one plain sentence, never a traceback; the
exit status is 1 when the input is wrong (or, for `fmt --check` and `test`, when a file
would change or a case fails).
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer

from .cli import _console, _fail, _load_failed, _reason, _require_policies, app
from .cli_options import PoliciesOption
from .diagnostics import Diagnostic


def _print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    from .render import print_diagnostics

    print_diagnostics(_console(stderr=True), diagnostics)


# ------------------------------------------------------------------ fmt


@app.command()
def fmt(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH...",
            help="Clause files, or directories searched for *.clause files. Default: ./policies",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Change nothing; exit 1 and name the files that would change."
        ),
    ] = False,
) -> None:
    """Write clause files in the one canonical layout, keeping every comment.

    Formatting never changes what a file means. A file with a syntax error is left alone
    and its errors are printed.
    """
    from .formatter import FormatError, format_text
    from .policy_set import clause_files

    targets = list(paths) if paths else [Path("policies")]
    for target in targets:
        if not target.exists():
            _fail(f"cannot format {target}: there is no such file or directory")
    files = clause_files(targets)
    if not files:
        _fail(f"{', '.join(map(str, targets))}: no .clause files found")
    changed: list[Path] = []
    broken = False
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            _console(stderr=True).print(f"{path}: cannot be read: {_reason(error)}", soft_wrap=True)
            broken = True
            continue
        try:
            formatted = format_text(text, str(path))
        except FormatError as error:
            _print_diagnostics(list(error.diagnostics))
            broken = True
            continue
        if formatted != text:
            changed.append(path)
            if not check:
                path.write_text(formatted, encoding="utf-8")
    out = _console()
    for path in changed:
        out.print(f"{'would reformat' if check else 'reformatted'} {path}", soft_wrap=True)
    unchanged = len(files) - len(changed)
    verb = "would be reformatted" if check else "reformatted"
    out.print(
        f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, {unchanged} unchanged",
        soft_wrap=True,
    )
    if broken or (check and changed):
        raise typer.Exit(1)


# ------------------------------------------------------------------ test


@app.command("test")
def test_(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH...",
            help="Test files (*.test.yaml), clause files (their test file is used), or "
            "directories searched for test files. Default: ./policies",
            show_default=False,
        ),
    ] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="List the clauses and rules no case exercised.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The results as JSON, for CI.")] = False,
) -> None:
    """Run the test cases written next to clause files; exit 1 if any case fails."""
    from .clause_tests import Runner, test_files

    targets = list(paths) if paths else [Path("policies")]
    for target in targets:
        if not target.exists():
            _fail(f"cannot test {target}: there is no such file or directory")
    if not test_files(targets):
        _fail(f"{', '.join(map(str, targets))}: no test files (*.test.yaml) found")
    result = Runner().run(targets)
    # Issue 16: clauses proved unreachable are "dead", not merely not exercised.
    dead: set[str] = set()
    if coverage:
        from .cli_analyze import dead_sources

        dead = dead_sources([Path(p.file) for p in result.coverage.provisions])
    if as_json:
        out_json = result.to_json(coverage)
        if coverage:
            out_json["coverage"]["dead"] = sorted(dead)
        typer.echo(json.dumps(out_json, indent=2, ensure_ascii=False))
    else:
        out = _console()
        for file in result.files:
            out.print(file.path, soft_wrap=True)
            for error in file.errors:
                out.print(f"  error: {error}", soft_wrap=True)
            for case in file.cases:
                if case.passed:
                    out.print(f"  ok    {case.name}", soft_wrap=True)
                    continue
                out.print(f"  FAIL  {case.name} ({case.source})", soft_wrap=True)
                if case.error:
                    for line in case.error.split("\n"):
                        out.print(f"        {line}", soft_wrap=True)
                for difference in case.differences:
                    out.print(f"        {difference}", soft_wrap=True)
        total, failed = result.counts()
        errors = sum(len(f.errors) for f in result.files)
        summary = (
            f"{total} case{'s' if total != 1 else ''}: {total - failed} passed, {failed} failed"
        )
        if errors:
            summary += f"; {errors} test file{'s' if errors != 1 else ''} could not be run"
        out.print(summary, soft_wrap=True)
        if coverage:
            cov = result.coverage
            done = len(cov.provisions) - len(cov.missed)
            out.print(
                f"Coverage: {done} of {len(cov.provisions)} clauses and rules exercised",
                soft_wrap=True,
            )
            for name, total_in_file, done_in_file, missed in cov.by_file():
                out.print(f"  {name}: {done_in_file} of {total_in_file}", soft_wrap=True)
                for provision in missed:
                    title = f' "{provision.title}"' if provision.title else ""
                    state = (
                        "dead (can never apply)" if provision.source in dead else "not exercised"
                    )
                    out.print(
                        f"    {state}: {provision.rule}{title} ({provision.source})",
                        soft_wrap=True,
                    )
    if not result.passed:
        raise typer.Exit(1)


# ------------------------------------------------------------------ explain


@app.command()
def explain(
    source: Annotated[
        Path,
        typer.Argument(metavar="USE.json", help="One use, as a JSON object.", show_default=False),
    ],
    policies: PoliciesOption = Path("policies"),
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Directory of data files. Default: the policies' data/ directory."
        ),
    ] = None,
    assume: Annotated[
        list[str] | None,
        typer.Option(
            "--assume", metavar="PACK", help="Treat a proposed law as enacted. Repeatable."
        ),
    ] = None,
) -> None:
    """Explain the decision about one use in plain English, quoting the clauses."""
    from . import load
    from .diagnostics import PolicyError
    from .explain import Explainer
    from .render import use_error_text
    from .use_input import UseError

    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {source}: {_reason(error)}")
    from .json_input import JSONProblems, load_json

    try:  # the one reader of uses: limits on depth and numbers, no duplicate keys
        raw = load_json(text)
    except JSONProblems as error:
        _fail(f"{source}: {error}")
    if not isinstance(raw, dict):
        _fail(f"{source}: explain takes one use, a JSON object")
    if not policies.is_file():  # one clause file may be explained against, too
        _require_policies(policies)
    if data is not None and not data.is_dir():
        _fail(f"cannot load data from {data}: there is no such directory")
    try:
        policy_set = load(policies, data=data, assume=list(assume or ()))
    except PolicyError as error:
        _load_failed(
            error.diagnostics, policies, "the policies have errors, so the use was not decided"
        )
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot load policies: {_reason(error)}")
    except ValueError as error:
        _fail(f"cannot load policies: {error}")
    try:
        typer.echo(Explainer(policy_set, policies).explain(raw), nl=False)
    except UseError as error:
        _console(stderr=True).print(use_error_text(error, str(source)), soft_wrap=True)
        raise typer.Exit(1) from None


# ------------------------------------------------------------------ render


class RenderFormat(enum.StrEnum):
    """The formats `render` writes."""

    html = "html"
    md = "md"


def _party_names(source: Path, data: Path | None) -> dict[str, str]:
    """Party id → name from the data directory named, or found next to `source` (the
    file's folder or its parent); no names (ids alone) when there is none."""
    from .policy_set import load_data_alone
    from .render import print_diagnostics

    if data is None:
        found = [d / "data" for d in (source.parent, source.parent.parent)]
        data = next((d for d in found if d.is_dir()), None)
        if data is None:
            return {}
    elif not data.is_dir():
        _fail(f"cannot read the data from {data}: there is no such directory")
    dataset, diagnostics = load_data_alone(data)
    if dataset is None:
        print_diagnostics(_console(stderr=True), diagnostics)
        _fail(f"the data files in {data} have errors, so the parties cannot be named")
    return {party_id: party.name for party_id, party in dataset.parties.items()}


@app.command()
def render(
    source: Annotated[
        Path, typer.Argument(metavar="FILE.clause", help="The clause file.", show_default=False)
    ],
    output_format: Annotated[
        RenderFormat, typer.Option("--format", "-f", help="html (one self-contained page) or md.")
    ] = RenderFormat.html,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Data files naming the parties. Default: the data/ directory next to the "
            "file or its folder (policies/data for policies/contracts/x.clause).",
        ),
    ] = None,
) -> None:
    """Render a contract or pack for a reader who will never read the syntax: parties by
    name with their id, terms with their last day; the authors' comments are left out."""
    from .parser import parse
    from .render_clauses import render as render_file

    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {source}: {_reason(error)}")
    parsed, diagnostics = parse(text, str(source))
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        _print_diagnostics(list(errors))
        _fail(f"{source} has syntax errors, so it was not rendered")
    rendered = render_file(parsed, output_format.value, _party_names(source, data))
    if output is None:
        typer.echo(rendered, nl=False)
        return
    try:
        output.write_text(rendered, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {output}: {_reason(error)}")
