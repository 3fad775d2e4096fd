"""The manifest filter: which tracks of a training manifest may we use, and what do we owe?

A *template* holds the fixed part of a use (licensee, purpose, territory, date, …); each row
of a CSV manifest names a work and optionally more fields of the use. Every row is decided
and written out with five more columns — `decision`, `reason`, `rule`, `owed`,
`payments` — and a `FilterSummary` counts what was allowed, what was denied and why, and
the total owed per currency.

The filter streams: it reads and writes one row at a time with the `csv` module, so memory
stays flat for any file size. Rows that make the same use (the same work under the same
template, the same other fields) are decided once: decisions are kept in a bounded LRU
cache keyed by the row's use fields, which is exact because a decision depends only on the
use (the use's `id` is never taken from a row).

Columns of the manifest that make the use (every other column is copied through):

| column | use field |
|---|---|
| `work` | `works: [value]` |
| `works`, `artists`, `context` | lists, items separated by `;`, `,` or spaces |
| `date`, `licensee`, `purpose`, `territory` | the field (overrides the template) |
| `commercial`, `output.<flag>` | booleans: `true`/`false`, `yes`/`no`, `1`/`0` |
| `metrics.generations`, `metrics.streams` | integers |
| `metrics.revenue` | money: `1200.00 USD` |
| `facts.<name>` | a fact the policy declares |

An empty cell leaves the template's value.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import yaml

from . import safe_yaml
from .diagnostics import did_you_mean
from .errors import ClausulaError
from .kinds import DENYING
from .models import Decision, Use
from .policy_set import PolicySet
from .use_input import UseError, UseProblem, parse_use

OUTPUT_COLUMNS = ("decision", "reason", "rule", "owed", "payments")
_SCALARS = ("date", "licensee", "purpose", "territory")
_LISTS = ("works", "artists", "context")
_INTEGERS = ("metrics.generations", "metrics.streams")
_SPLIT = re.compile(r"[;,\s]+")
_TRUE = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
PROGRESS_EVERY = 8192
_OUTPUT_FLAGS = ("synthetic_audio", "digital_replica", "public", "names_artist", "labelled_ai")

Progress = Callable[[int, int], None]
"""Called every few thousand rows with (rows done, characters read so far)."""


class ManifestError(ClausulaError, ValueError):
    """The manifest or the template cannot be used at all (not a bad row: those are reported
    in the output with decision `error`)."""


@dataclass
class FilterSummary:
    """What a filter run decided: counts by outcome, denials by reason, the total owed."""

    rows: int = 0
    allowed: int = 0
    paid: int = 0
    denied: int = 0
    errors: int = 0
    denied_by_reason: dict[str, int] = field(default_factory=dict)
    errors_by_problem: dict[str, int] = field(default_factory=dict)
    owed: dict[str, Decimal] = field(default_factory=dict)
    decided: int = 0
    seconds: float = 0.0
    policy_version: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def usable(self) -> int:
        """Rows that may be used (allow or pay)."""
        return self.allowed + self.paid

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data (money as decimal strings)."""
        return {
            "rows": self.rows,
            "usable": self.usable,
            "allow": self.allowed,
            "pay": self.paid,
            "deny": self.denied,
            "error": self.errors,
            "denied_by_reason": dict(sorted(self.denied_by_reason.items(), key=lambda kv: -kv[1])),
            "errors_by_problem": dict(
                sorted(self.errors_by_problem.items(), key=lambda kv: -kv[1])
            ),
            "owed": [{"amount": str(a), "currency": c} for c, a in sorted(self.owed.items())],
            "distinct_uses_decided": self.decided,
            "seconds": round(self.seconds, 3),
            "policy": self.policy_version,
            "warnings": self.warnings,
        }


@dataclass(frozen=True, slots=True)
class _Row:
    """What a decided use adds to each row that makes it, and to the summary."""

    columns: tuple[str, str, str, str, str]
    outcome: str
    group: str
    totals: tuple[tuple[str, Decimal], ...]


# ------------------------------------------------------------------ template


def load_template(path: str | Path) -> dict[str, Any]:
    """Read a use template (YAML or JSON): a mapping of use fields. Raises `ManifestError`."""
    try:
        data = safe_yaml.load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"cannot read the template {path}: {error}") from None
    except yaml.YAMLError as error:
        raise ManifestError(f"the template {path} is not valid YAML: {error}") from None
    except ValueError as error:  # YAML reads 2026-13-01 as a date, and the date fails
        raise ManifestError(f"the template {path} holds a date that is not one: {error}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"the template {path} must be a mapping of use fields")
    return data


def _check_template(template: Mapping[str, Any], header: list[str]) -> None:
    known = Use.model_fields
    problems = []
    for key in template:
        if key not in known:
            hint = did_you_mean(str(key), known)
            problems.append(
                f"/{key}: this field is not part of a use" + (f"; {hint}" if hint else "")
            )
    for name in _SCALARS:
        if name not in template and name not in header:
            problems.append(
                f"/{name}: the template has no {name} and the manifest no `{name}` column"
            )
    if problems:
        raise ManifestError("the template cannot make a use: " + "; ".join(problems))


def _top_field(pointer: str) -> str:
    """The field of the use a JSON Pointer starts with: `/metrics/revenue` → `metrics`."""
    return pointer.split("/")[1] if pointer.startswith("/") else ""


# Stand-ins for the fields a template leaves to the manifest's columns, so that the fields
# it does give can be checked before any row is read.
_STAND_INS = {"date": "2026-01-01", "licensee": "party:template", "territory": "US"}


def _check_template_use(policy: PolicySet, template: Mapping[str, Any]) -> None:
    """Refuse a template whose own fields are wrong (a bad date, an undeclared purpose, a
    territory that is not a code, …): every row would be an `error` for the same reason.
    The message names each wrong field of the template by its JSON Pointer."""
    from .decide import use_facts

    fields = dict(template)
    for name, value in _STAND_INS.items():
        fields.setdefault(name, value)
    fields.setdefault("purpose", min(policy.compiled.vocabulary.purposes, default="training"))
    try:
        use_facts(parse_use(fields), policy.compiled)
    except UseError as error:
        wrong = [p for p in error.problems if _top_field(p.pointer) in template]
        if wrong:
            raise ManifestError(
                "the template is not a valid use, so no row was decided: "
                + "; ".join(str(p) for p in wrong)
            ) from None


# ------------------------------------------------------------------ rows → uses


def _use_columns(header: list[str]) -> tuple[list[int], list[str], list[str]]:
    """Indices and names of the columns that make the use; warnings for look-alikes."""
    indices: list[int] = []
    names: list[str] = []
    warnings: list[str] = []
    candidates = ["work", *_SCALARS, *_LISTS, "commercial", *_INTEGERS, "metrics.revenue"]
    for index, name in enumerate(header):
        if (
            name in candidates
            or name.startswith("facts.")
            or (name.startswith("output.") and name[7:] in _OUTPUT_FLAGS)
        ):
            indices.append(index)
            names.append(name)
        elif name in OUTPUT_COLUMNS:
            raise ManifestError(
                f"the manifest already has a `{name}` column, which the filter adds"
            )
        else:
            hint = did_you_mean(name, candidates + [f"output.{f}" for f in _OUTPUT_FLAGS])
            if hint:
                warnings.append(f"column `{name}` is copied through, not read into the use; {hint}")
    if "work" not in names and "works" not in names:
        raise ManifestError("the manifest has no `work` (or `works`) column")
    return indices, names, warnings


def _set_cell(use: dict[str, Any], name: str, value: str) -> None:
    if name == "work":
        use["works"] = [value]
    elif name in _LISTS:
        use[name] = [item for item in _SPLIT.split(value) if item]
    elif name == "commercial" or name.startswith("output."):
        flag = _TRUE.get(value.strip().lower())
        if flag is None:
            raise ValueError(f"`{value}` is not true or false")
        if name == "commercial":
            use["commercial"] = flag
        else:
            use["output"] = {**use.get("output", {}), name[7:]: flag}
    elif name in _INTEGERS:
        use["metrics"] = {**use.get("metrics", {}), name[8:]: value.strip()}
    elif name == "metrics.revenue":
        amount, _, currency = value.strip().partition(" ")
        use["metrics"] = {
            **use.get("metrics", {}),
            "revenue": {"amount": amount, "currency": currency.strip()},
        }
    elif name.startswith("facts."):
        use["facts"] = {**use.get("facts", {}), name[6:]: value}
    else:
        use[name] = value.strip()


# Columns that hold figures the money code computes with.
_FIGURES = frozenset({"metrics.revenue", "metrics.generations", "metrics.streams"})


def _pointer(name: str) -> str:
    if name == "work":
        return "/works/0"
    return "/" + name.replace(".", "/")


def _deny_reason(decision: Decision) -> tuple[str, str, str]:
    for reason in decision.reasons:
        if reason.effect in DENYING:
            return reason.effect, reason.rule, reason.message
    if not decision.reasons:
        return "deny", "", "denied"
    first = decision.reasons[0]
    return "deny", first.rule, first.message


def _row_of(decision: Decision) -> _Row:
    if decision.decision == "deny":
        effect, rule, message = _deny_reason(decision)
        return _Row(("deny", message, rule, "", ""), "deny", f"{effect}: {rule}", ())
    permit = next((r for r in decision.reasons if r.effect == "permit"), None)
    owed = "; ".join(f"{t.amount} {t.currency}" for t in decision.totals)
    payments = "; ".join(f"{p.payee} {p.amount} {p.currency}" for p in decision.payments)
    return _Row(
        (
            decision.decision,
            permit.message if permit else "",
            permit.rule if permit else "",
            owed,
            payments,
        ),
        decision.decision,
        "",
        tuple((t.currency, t.amount) for t in decision.totals),
    )


def _error_row(problems: list[UseProblem]) -> _Row:
    text = "; ".join(str(p) for p in problems)
    group = "; ".join(sorted({p.pointer or "/" for p in problems}))
    return _Row(("error", text, "", "", ""), "error", group, ())


class _Decider:
    """Row key → `_Row`, deciding each distinct use once (bounded LRU cache)."""

    def __init__(
        self, policy: PolicySet, template: Mapping[str, Any], names: list[str], cache_size: int
    ) -> None:
        self.policy = policy
        self.template = dict(template)
        self.names = names
        self.decided = 0
        self.lookup: Callable[[tuple[str, ...]], _Row] = lru_cache(maxsize=cache_size)(self._decide)

    def _decide(self, key: tuple[str, ...]) -> _Row:
        self.decided += 1
        use: dict[str, Any] = dict(self.template)
        problems: list[UseProblem] = []
        for name, value in zip(self.names, key, strict=True):
            if value == "":
                continue
            try:
                _set_cell(use, name, value)
            except ValueError as error:
                problems.append(UseProblem(_pointer(name), str(error)))
        if problems:
            return _error_row(problems)
        try:
            decision = self.policy.decide(parse_use(use))
        except UseError as error:
            return _error_row(error.problems)
        except (ArithmeticError, ValueError) as error:
            # Figures beyond what the money code computes with (revenue 1e30), a date
            # beyond 9999-12-31: this row gets an error, the others are still decided.
            filled = [n for n, v in zip(self.names, key, strict=True) if v and n in _FIGURES]
            what = "the figures in " + ", ".join(filled) if filled else "this row"
            if isinstance(error, ArithmeticError):
                detail = f"{what} {'are' if filled else 'has figures'} too large to compute with"
            else:
                detail = f"{what} cannot be decided: {error}"
            return _error_row([UseProblem(_pointer(filled[0]) if filled else "", detail)])
        return _row_of(decision)


# ------------------------------------------------------------------ the filter


def _counting(lines: IO[str], counter: list[int]) -> Iterator[str]:
    for line in lines:
        counter[0] += len(line)
        yield line


def _row_writer(sink: IO[str]) -> Callable[[list[str]], Any]:
    """Write CSV rows ending in `\n`. Python's writer quotes a field holding a character of
    its line end, so a lone `\r` copied from a manifest would go out bare and split the row
    for the next reader: such a row is written with every field quoted."""
    plain = csv.writer(sink, lineterminator="\n")
    quoted = csv.writer(sink, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def write(row: list[str]) -> Any:
        return (quoted if "\r" in "".join(row) else plain).writerow(row)

    return write


def filter_manifest(
    policy: PolicySet,
    manifest: str | Path | IO[str],
    template: Mapping[str, Any] | str | Path,
    out: str | Path | IO[str],
    *,
    progress: Progress | None = None,
    cache_size: int = 1 << 16,
) -> FilterSummary:
    """Decide every row of a CSV manifest and write it, with the decision columns, to `out`.

    `manifest` and `out` are paths or open text files (opened with `newline=""`);
    `template` is a mapping of use fields or the path of a YAML/JSON template. Returns the
    summary. Raises `ManifestError` when the manifest or template cannot be used at all;
    a row that makes no valid use is written with decision `error` and its problems.
    """
    fields = load_template(template) if isinstance(template, str | Path) else dict(template)
    start = time.perf_counter()
    with _open(manifest, "r") as source, _open(out, "w") as sink:
        counter = [0]
        reader = csv.reader(_counting(source, counter))
        try:
            header = next(reader)
        except StopIteration:
            raise ManifestError("the manifest is empty: it needs a header row") from None
        except csv.Error as error:
            raise ManifestError(f"the manifest is not valid CSV: {error}") from None
        except UnicodeDecodeError as error:
            raise ManifestError(_not_utf8(manifest, error)) from None
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        indices, names, warnings = _use_columns(header)
        _check_template(fields, header)
        _check_template_use(policy, fields)
        summary = FilterSummary(policy_version=policy.version, warnings=warnings)
        decider = _Decider(policy, fields, names, cache_size)
        lookup = decider.lookup
        width = len(header)
        pick: Callable[[list[str]], Any] = itemgetter(*indices)
        single = len(indices) == 1
        write = _row_writer(sink)
        write([*header, *OUTPUT_COLUMNS])
        counts = {"allow": 0, "pay": 0, "deny": 0, "error": 0}
        denied = summary.denied_by_reason
        errors = summary.errors_by_problem
        owed = summary.owed
        rows = 0
        try:
            for row in reader:
                if not row:
                    continue  # a blank line
                rows += 1
                if len(row) != width:
                    result = _error_row(
                        [
                            UseProblem(
                                "", f"row {rows} has {len(row)} fields; the header has {width}"
                            )
                        ]
                    )
                    row = (row + [""] * width)[:width]
                else:
                    picked = pick(row)
                    result = lookup((picked,) if single else picked)
                write(row + list(result.columns))
                outcome = result.outcome
                counts[outcome] += 1
                if outcome == "deny":
                    denied[result.group] = denied.get(result.group, 0) + 1
                elif outcome == "error":
                    errors[result.group] = errors.get(result.group, 0) + 1
                else:
                    for currency, amount in result.totals:
                        owed[currency] = owed.get(currency, Decimal(0)) + amount
                if progress is not None and rows % PROGRESS_EVERY == 0:
                    progress(rows, counter[0])
        except csv.Error as error:
            raise ManifestError(
                f"the manifest is not valid CSV at row {rows + 1}: {error}"
            ) from None
        except UnicodeDecodeError as error:
            raise ManifestError(_not_utf8(manifest, error)) from None
        if progress is not None:
            progress(rows, counter[0])
    summary.rows = rows
    summary.allowed, summary.paid = counts["allow"], counts["pay"]
    summary.denied, summary.errors = counts["deny"], counts["error"]
    summary.decided = decider.decided
    summary.seconds = time.perf_counter() - start
    return summary


def _not_utf8(manifest: str | Path | IO[str], error: UnicodeDecodeError) -> str:
    """Where a manifest stops being UTF-8: its line and column (the decoder reads ahead of
    the rows, so the line is found again from the bytes)."""
    if isinstance(manifest, str | Path) and str(manifest) != "-":
        with open(manifest, "rb") as raw:
            for number, line in enumerate(raw, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as bad:
                    return (
                        f"the manifest is not UTF-8 text: line {number}, column {bad.start + 1} "
                        f"has the byte 0x{line[bad.start]:02x}; save it as UTF-8"
                    )
    return f"the manifest is not UTF-8 text: {error.reason}; save it as UTF-8"


class _open:
    """Open a path (or `-` for stdin/stdout) for CSV, or pass an open file through unclosed."""

    def __init__(self, target: str | Path | IO[str], mode: str) -> None:
        self.target = target
        self.mode = mode
        self.file: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if not isinstance(self.target, str | Path):
            return self.target
        if str(self.target) == "-":
            stream = sys.stdin if self.mode == "r" else sys.stdout
            return stream
        encoding = "utf-8-sig" if self.mode == "r" else "utf-8"
        try:
            self.file = open(self.target, self.mode, newline="", encoding=encoding)
        except OSError as error:
            verb = "read" if self.mode == "r" else "write"
            raise ManifestError(f"cannot {verb} {self.target}: {error.strerror}") from None
        return self.file

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


def summary_text(summary: FilterSummary) -> str:
    """The summary for people: counts, denials by reason, total owed."""
    lines = [
        f"{summary.rows:,} rows: {summary.usable:,} usable ({summary.allowed:,} allow, "
        f"{summary.paid:,} pay), {summary.denied:,} deny, {summary.errors:,} error",
    ]
    if summary.denied_by_reason:
        lines.append("denied by reason:")
        for reason, n in sorted(summary.denied_by_reason.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {n:>10,}  {reason}")
    if summary.errors_by_problem:
        lines.append("rows that make no valid use, by field:")
        for pointer, n in sorted(summary.errors_by_problem.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {n:>10,}  {pointer}")
    owed = ", ".join(f"{a} {c}" for c, a in sorted(summary.owed.items())) or "nothing"
    lines.append(f"total owed: {owed}")
    lines.append(
        f"{summary.decided:,} distinct uses decided in {summary.seconds:.2f} s "
        f"({summary.rows / summary.seconds if summary.seconds else 0:,.0f} rows/s); "
        f"policy {summary.policy_version}"
    )
    return "\n".join(lines)


def summary_json(summary: FilterSummary) -> str:
    """The summary as one JSON document."""
    return json.dumps(summary.to_json(), indent=2, ensure_ascii=False)


__all__ = [
    "OUTPUT_COLUMNS",
    "FilterSummary",
    "ManifestError",
    "filter_manifest",
    "load_template",
    "summary_json",
    "summary_text",
]
