"""`clausula report …`: licences, the EU AI Act training-content summary, one artist's view.

Markdown by default, `--json` for machines. Consent is read from `--ledger URL` when given
(as of the report's day), otherwise from the data files.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .cli_consent import LedgerOption, fail, parse_day

if TYPE_CHECKING:
    from .policy_set import PolicySet

report_app = typer.Typer(
    name="report",
    help="Transparency reports: licences, training-summary, artist.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

PoliciesOption = Annotated[
    Path, typer.Option("--policies", "-p", help="Directory of .clause files.")
]
OnOption = Annotated[
    str | None, typer.Option("--on", help="The report's day (YYYY-MM-DD). Default: today.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of Markdown.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to this file instead of the screen.")
]


def _load(policies: Path, ledger: str | None) -> PolicySet:
    from .cli import policies_problem
    from .diagnostics import PolicyError
    from .ledger import LedgerError
    from .policy_set import load

    problem = policies_problem(policies)
    if problem is not None:
        fail(problem)
    try:
        return load(policies, ledger=ledger)
    except PolicyError as error:
        fail(
            f"the policies in {policies} have errors; run `clausula check {policies}`",
            details=[str(d) for d in error.diagnostics[:5]],
        )
    except LedgerError as error:
        fail(str(error))


def _emit(report: dict[str, Any], markdown: str, as_json: bool, out: Path | None) -> None:
    text = json.dumps(report, ensure_ascii=False, indent=2) if as_json else markdown
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {out}: {error.strerror or error}")


@report_app.command("licences")
def licences(
    licensee: Annotated[
        str | None, typer.Option("--licensee", help="One licensee (default: all).")
    ] = None,
    on: OnOption = None,
    policies: PoliciesOption = Path("policies"),
    ledger: LedgerOption = None,
    as_json: JsonOption = False,
    out: OutOption = None,
) -> None:
    """Which works are covered for which purposes, where, until when and on what basis
    (contract clause and consent grant) — and which are not, and why."""
    from .reports import licences_markdown, licences_report

    day = parse_day(on, "--on") or date.today()
    policy_set = _load(policies, ledger)
    if licensee is not None and licensee not in policy_set.compiled.contracts_by_licensee:
        fail(f"no contract licenses {licensee}")
    report = licences_report(policy_set, licensee=licensee, on=day)
    _emit(report, licences_markdown(report), as_json, out)


@report_app.command("training-summary")
def training_summary(
    manifest: Annotated[
        Path,
        typer.Argument(metavar="MANIFEST", help="CSV of work ids (a `work` column, or the first)."),
    ],
    licensee: Annotated[str, typer.Option("--licensee", help="The AI developer who trained.")],
    on: OnOption = None,
    territory: Annotated[
        str, typer.Option("--territory", help="Where the training use is assessed (an EU country).")
    ] = "DE",
    model: Annotated[str | None, typer.Option("--model", help="Model name and version.")] = None,
    policies: PoliciesOption = Path("policies"),
    ledger: LedgerOption = None,
    as_json: JsonOption = False,
    out: OutOption = None,
) -> None:
    """The public summary of training content (EU AI Act Art. 53(1)(d)), in the sections of
    the AI Office template, with counts of works used and excluded and why."""
    from .reports import ManifestError, read_manifest, training_markdown
    from .reports import training_summary as summarise
    from .use_input import UseError

    day = parse_day(on, "--on") or date.today()
    try:
        text = manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {manifest}: {getattr(error, 'strerror', None) or error}")
    try:
        works = read_manifest(text, str(manifest))
    except ManifestError as error:
        fail(f"the manifest {manifest} has bad work ids", details=error.problems)
    policy_set = _load(policies, ledger)
    try:
        report = summarise(
            policy_set, works, licensee=licensee, on=day, territory=territory, model=model
        )
    except UseError as error:
        fail("; ".join(p.message for p in error.problems))
    _emit(report, training_markdown(report), as_json, out)


@report_app.command("artist")
def artist(
    artist_id: Annotated[
        str, typer.Argument(metavar="ARTIST", help="The artist's id, e.g. isni:…")
    ],
    on: OnOption = None,
    log: Annotated[
        list[Path] | None, typer.Option("--log", help="A decision log (repeatable).")
    ] = None,
    policies: PoliciesOption = Path("policies"),
    ledger: LedgerOption = None,
    as_json: JsonOption = False,
    out: OutOption = None,
) -> None:
    """One artist's grants (with their history), the contracts covering their works, and the
    decisions logged about them."""
    from .decision_log import DecisionLogError, LogEntry, read_log
    from .identifiers import PARTY_SCHEMES, id_problem
    from .reports import artist_markdown, artist_report

    if problem := id_problem(artist_id, PARTY_SCHEMES):
        fail(problem)
    day = parse_day(on, "--on") or date.today()
    entries: list[LogEntry] = []
    for path in log or ():
        try:
            result = read_log(path)
        except DecisionLogError as error:
            fail(str(error))
        except OSError as error:
            fail(f"cannot read {path}: {error.strerror or error}")
        if result.torn_last_line:
            typer.echo(f"note: {path}: the last line is incomplete and was skipped", err=True)
        for line, why in result.skipped:
            typer.echo(f"note: {path}:{line}: {why}; skipped", err=True)
        entries.extend(result.entries)
    policy_set = _load(policies, ledger)
    history: dict[str, list[dict[str, Any]]] = {}
    store = policy_set._records.ledger
    from .catalogue import AUTHOR_NOTES
    from .ledger import Ledger

    if isinstance(store, Ledger):
        for event in store.events(artist=artist_id):
            history.setdefault(event.grant, []).append(
                {
                    "seq": event.seq,
                    "kind": event.kind,
                    "effective": event.effective.isoformat(),
                    "recorded_by": event.recorded_by,
                    "recorded_at": event.recorded_at,
                    "data": {k: v for k, v in event.data.items() if k not in AUTHOR_NOTES},
                }
            )
    report = artist_report(policy_set, artist_id, on=day, log=entries, history=history)
    _emit(report, artist_markdown(report), as_json, out)
