"""The `clausula` command line: check clause files, decide uses, print the JSON schemas.

Exit status: 0 on success, 1 when the input is wrong (policy errors, a bad use, a file
that cannot be read), 2 on usage errors. A user's mistake is reported in plain sentences,
never with a Python traceback.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from .cli_options import PoliciesOption

if TYPE_CHECKING:
    from rich.console import Console

    from .diagnostics import Diagnostic
    from .ledger import Ledger
    from .models import Use
    from .policy_set import PolicySet
    from .use_input import UseError

app = typer.Typer(
    name="clausula",
    help="Clausula: policy-as-code for licensing music to AI. Allow, deny or pay, with reasons.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _console(stderr: bool = False) -> Console:
    """A Rich console on the current stdout or stderr; plain text when not a terminal."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _fail(message: str, code: int = 1) -> NoReturn:
    """Print one plain sentence on stderr and exit with `code`."""
    from rich.text import Text

    text = Text()
    text.append("error", style="bold red")
    text.append(f": {message}")
    _console(stderr=True).print(text, soft_wrap=True)
    raise typer.Exit(code)


def _reason(error: BaseException) -> str:
    """The human part of an OS or decoding error."""
    if isinstance(error, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {error.start})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]
    return str(error)


def policies_problem(policies: Path) -> str | None:
    """Why `policies` cannot be a policy set (it is missing, or holds no clause file), or
    None: every command that loads one refuses such a directory as `check` does."""
    from .policy_set import clause_files, no_clause_files

    if not policies.is_dir():
        return (
            f"cannot load policies from {policies}: there is no such directory (use --policies DIR)"
        )
    if not clause_files([policies]):
        return f"cannot load policies: {no_clause_files(policies)} (use --policies DIR)"
    return None


def _load_failed(diagnostics: Sequence[Diagnostic], policies: Path, what: str) -> NoReturn:
    """Report why a policy set did not load and exit 1: a wrong `--assume` in one plain
    sentence (the files are fine), otherwise every problem of the files and `what`."""
    from .render import check_summary, print_diagnostics

    if diagnostics and all(d.span.path == "--assume" for d in diagnostics):
        _fail("--assume: " + "; ".join(d.message for d in diagnostics))
    err = _console(stderr=True)
    print_diagnostics(err, list(diagnostics))
    err.print(check_summary(list(diagnostics), str(policies), 0), soft_wrap=True)
    _fail(what)


def _require_policies(policies: Path) -> None:
    problem = policies_problem(policies)
    if problem is not None:
        _fail(problem)


# ------------------------------------------------------------------ check


def _open_ledger(
    url: str | None, key: Path | None = None, *, verify: bool = False
) -> Ledger | None:
    """The consent ledger named by `--ledger`, opened (None without one), with the key of
    `--ledger-key` (default: `CLAUSULA_LEDGER_KEY`); exits with the reason when it cannot
    be opened or, with `verify`, when its chain is broken (naming the event)."""
    if url is None:
        return None
    from .ledger import ChainBroken, Ledger, LedgerError

    try:
        ledger = Ledger(url, key=key)
    except LedgerError as error:
        _fail(str(error))
    if ledger.anchor is None:
        _console(stderr=True).print(
            "warning: no ledger key (--ledger-key or CLAUSULA_LEDGER_KEY): the hash chain is "
            "verified, but events removed from its end cannot be detected",
            soft_wrap=True,
            markup=False,
        )
    if verify:
        try:
            ledger.verify_chain()
        except ChainBroken as error:
            ledger.close()
            _fail(f"the consent ledger's hash chain is broken, so no use was decided: {error}")
        except LedgerError as error:
            ledger.close()
            _fail(str(error))
    return ledger


# `--ledger-key` of the commands that decide (eval, serve).
LedgerKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger-key",
        envvar="CLAUSULA_LEDGER_KEY",
        metavar="FILE",
        help="The ledger's Ed25519 key (clausula consent keygen): its head is checked "
        "against the head signed beside it, so that removed events are detected.",
        show_default=False,
    ),
]

# `--ledger` of the commands that decide (eval, serve).
LedgerOption = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        metavar="URL",
        help="Decide consent against this consent ledger (sqlite:///FILE, "
        "postgresql://…) as of each use's date, instead of the data files' grants.",
    ),
]


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH...",
            help="Clause files, or directories searched for *.clause files. Default: ./policies",
            show_default=False,
        ),
    ] = None,
    analyze: Annotated[
        bool,
        typer.Option(
            "--analyze",
            help="Also prove with an SMT solver (clausula analyze): findings are warnings.",
        ),
    ] = False,
) -> None:
    """Check clause files: syntax, names, types, purposes, territories and references.

    Prints every problem with its file, line and column, the line itself and a caret under
    the place. Exits 1 if there is any error, 0 otherwise.
    """
    from . import check as check_files
    from .diagnostics import PolicyError
    from .policy_set import clause_files
    from .render import check_summary, print_diagnostics

    targets = list(paths) if paths else [Path("policies")]
    for target in targets:
        if not target.exists():
            _fail(f"cannot check {target}: there is no such file or directory")
    files = len(clause_files(targets))
    label = ", ".join(str(target) for target in targets)
    if files == 0:
        _fail(f"{label}: no .clause files found")
    try:
        diagnostics = check_files(targets)
    except PolicyError as error:
        diagnostics = error.diagnostics
    except (OSError, UnicodeDecodeError) as error:
        name = getattr(error, "filename", None) or label
        _fail(f"cannot read {name}: {_reason(error)}")
    if analyze and not any(d.severity == "error" for d in diagnostics):
        from .cli_analyze import findings_as_diagnostics, run_analysis

        diagnostics = [*diagnostics, *findings_as_diagnostics(run_analysis(targets, None, 5000))]
    err = _console(stderr=True)
    print_diagnostics(err, diagnostics)
    failed = any(d.severity == "error" for d in diagnostics)
    (err if failed or diagnostics else _console()).print(
        check_summary(diagnostics, label, files), soft_wrap=True
    )
    if failed:
        raise typer.Exit(1)


# ------------------------------------------------------------------ eval


def _read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    return Path(source).read_text(encoding="utf-8")


def _uses(text: str, source: str, vocabulary: Any = None) -> Iterator[Use | UseError]:
    """The uses in the input: a `.json` file is one JSON document (an object or an array),
    anything else is read as JSON, or JSON Lines if it is not one JSON document; with a
    policy set's vocabulary, a use's names are checked in the same answer as its fields."""
    from . import read_uses

    yield from read_uses(text, lines=not source.endswith(".json"), vocabulary=vocabulary)


def _policy_set_and_uses(
    source: str, policies: Path, data: Path | None
) -> tuple[PolicySet, Iterator[Use | UseError]]:
    """For a command that decides the uses of INPUT: the policy set loaded (or the command
    stopped with its errors) and the uses read, checked against its vocabulary."""
    from . import load
    from .diagnostics import PolicyError

    name = "standard input" if source == "-" else source
    try:
        text = _read_text(source)
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {name}: {_reason(error)}")
    _require_policies(policies)
    if data is not None and not data.is_dir():
        _fail(f"cannot load data from {data}: there is no such directory")
    try:
        policy_set = load(policies, data=data)
    except PolicyError as error:
        _load_failed(error.diagnostics, policies, "the policies have errors, so no use was decided")
    return policy_set, _uses(text, source, policy_set.vocabulary)


@app.command("eval")
def eval_(
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A .json file (one use or an array of uses), a .jsonl file (one use per "
            "line), or - for standard input.",
            show_default=False,
        ),
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
            "--assume",
            metavar="PACK",
            help="Treat a proposed law as enacted, for what-if questions. Repeatable.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One decision JSON per line, for machines.")
    ] = False,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            metavar="FILE",
            help="Append every decision (use, decision, policy version, time) to this JSON "
            "Lines log.",
        ),
    ] = None,
    ledger: LedgerOption = None,
    ledger_key: LedgerKeyOption = None,
) -> None:
    """Decide proposed uses: allow, deny or pay, with payments, obligations and reasons.

    A use that cannot be decided (an unknown field, a missing date) is reported with a JSON
    Pointer to the bad field; the other uses are still decided, and the exit status is 1.
    """
    from . import load
    from .diagnostics import PolicyError
    from .render import (
        decision_renderable,
        eval_summary,
        use_error_json,
        use_error_text,
    )
    from .use_input import UseError

    name = "standard input" if source == "-" else source
    try:
        text = _read_text(source)
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {name}: {_reason(error)}")

    _require_policies(policies)
    if data is not None and not data.is_dir():
        _fail(f"cannot load data from {data}: there is no such directory")
    ledger_store = _open_ledger(ledger, ledger_key, verify=True)
    try:
        policy_set = load(policies, data=data, assume=list(assume or ()), ledger=ledger_store)
    except PolicyError as error:
        _load_failed(error.diagnostics, policies, "the policies have errors, so no use was decided")
    except (OSError, UnicodeDecodeError) as error:
        filename = getattr(error, "filename", None) or policies
        _fail(f"cannot load policies: cannot read {filename}: {_reason(error)}")
    except ValueError as error:  # e.g. an unknown pack named by --assume
        _fail(f"cannot load policies: {error}")

    ledger_errors: tuple[type[Exception], ...] = ()
    if ledger_store is not None:
        from .ledger import LedgerError

        ledger_errors = (LedgerError,)
    decision_log = None
    if log is not None:
        from .decision_log import DecisionLog

        try:
            decision_log = DecisionLog(
                log, ledger_head=ledger_store.cached_head if ledger_store else None
            )
        except OSError as error:
            _fail(f"cannot open the decision log {log}: {_reason(error)}")
    out = None if as_json else _console()
    err = _console(stderr=True)
    counts: dict[str, int] = {}
    bad = 0
    for index, item in enumerate(_uses(text, source, policy_set.vocabulary), start=1):
        label = f"use {index}"
        if not isinstance(item, UseError):
            try:
                decision = policy_set.decide(item)
            except ledger_errors as error:  # e.g. a chain broken while the uses were decided
                _fail(f"{label}: the consent ledger cannot be decided on: {error}")
            except UseError as error:
                item = (
                    error if error.use_id or item.id is None else UseError(error.problems, item.id)
                )
            else:
                counts[decision.decision] = counts.get(decision.decision, 0) + 1
                if decision_log is not None:
                    decision_log.append(item, decision)
                if out is None:
                    typer.echo(decision.to_json())
                else:
                    out.print(decision_renderable(decision, item, label))
                    out.print()
                continue
        bad += 1
        if out is None:
            typer.echo(json.dumps(use_error_json(item), ensure_ascii=False))
        else:
            err.print(use_error_text(item, label), soft_wrap=True)
            err.print()
    if bad == 0 and not counts:
        _fail(f"{name} contains no uses")
    if out is not None and bad + sum(counts.values()) > 1:
        out.print(eval_summary(counts, bad), soft_wrap=True)
    if bad:
        raise typer.Exit(1)


# ------------------------------------------------------------------ schema, version


class SchemaName(enum.StrEnum):
    """The JSON documents with a published schema."""

    use = "use"
    decision = "decision"


@app.command()
def schema(
    name: Annotated[
        SchemaName, typer.Argument(help="Which schema: use (the request) or decision (the answer).")
    ],
) -> None:
    """Print the JSON Schema of a proposed use or of a decision."""
    from .models import Decision, Use

    model = Use if name is SchemaName.use else Decision
    typer.echo(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("clausula")
    except PackageNotFoundError:
        return "unknown"


@app.command("version")
def version_() -> None:
    """Print the version of Clausula."""
    typer.echo(f"clausula {_version()}")


# `serve` and `filter` (issue 6) register themselves on `app`.
from . import cli_analyze as _cli_analyze  # noqa: E402, F401  (issue 16: analyze, SMT)
from . import cli_ddex as _cli_ddex  # noqa: E402, F401  (DDEX: issue 17)
from . import cli_lsp as _cli_lsp  # noqa: E402, F401  (issue 7: the language server)
from . import cli_serve as _cli_serve  # noqa: E402, F401
from . import cli_simulate as _cli_simulate  # noqa: E402, F401  (simulate, diff: issue 5)
from . import cli_table as _cli_table  # noqa: E402, F401  (statement: issue 15)
from . import cli_tdm as _cli_tdm  # noqa: E402, F401  (TDM reservations: issue 17)
from . import cli_tools as _cli_tools  # noqa: E402, F401  (fmt, test, explain, render: issue 7)
from . import cli_workbench as _cli_workbench  # noqa: E402, F401  (issue 18)
from .cli_catalogue import catalogue_app  # noqa: E402  (tdm, import-ddex, ddex-uses)

# `consent` and `report` (issue 4) are sub-commands of their own.
from .cli_consent import consent_app  # noqa: E402
from .cli_odrl import export_app, import_app  # noqa: E402  (ODRL: issue 17)
from .cli_report import report_app  # noqa: E402

app.add_typer(consent_app, name="consent")
app.add_typer(report_app, name="report")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
app.add_typer(catalogue_app, name="catalogue")

# `label` (issue 17: C2PA).
from .cli_label import label_app  # noqa: E402

app.add_typer(label_app, name="label")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line (the `clausula` entry point)."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="clausula")
    except BrokenPipeError:  # `clausula eval … | head`: the reader went away; not an error
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None


if __name__ == "__main__":
    main()
