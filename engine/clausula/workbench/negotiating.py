"""Negotiating: a scenario's contract parameters as controls, a simulation re-run when one
moves (with `clausula.simulate.simulate`, the batch path), charts drawn as SVG, a variant
saved as a new scenario file, and two versions of a contract compared (`clausula.diff`).

A change re-runs only the variant it belongs to, once (one Monte Carlo run, no sweeps),
beside the same variant with the scenario's own values (the baseline, run once and kept):
both decide the same generated uses, so that the difference comes from the terms alone.
`clausula simulate` gives the full report with every run and sweep.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .. import ast, safe_yaml
from ..diff import diff
from ..parser import parse
from ..simulate import DrawnUsage, Scenario, ScenarioError, load_scenario, simulate
from ..simulate.report import summary
from .charts import bar_chart, curve_chart
from .files import FileRefused, PolicyFiles

SCENARIO_DIRECTORY = "scenarios"
LIVE_RUNS = 1  # Monte Carlo runs of a live re-run (the scenario's own `runs` in the report)
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,60}")


@dataclass(frozen=True)
class Control:
    """One parameter of one contract of a variant, as a control of the page."""

    variant: str
    contract: str
    name: str
    kind: str  # percentage | money | number | date
    value: str  # the value as the slider holds it: 30 for 30%, 0.002 for 0.002 USD
    minimum: str
    maximum: str
    step: str
    unit: str  # %, a currency code, or "" (a number, a date)
    line: int
    file: str

    def literal(self, value: str) -> str:
        """A value of this control as a clause literal (`20%`, `0.004 USD`, `2026-01-01`)."""
        if self.kind == "date":
            return dt.date.fromisoformat(value).isoformat()
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"`{value}` is not a number") from None
        if not number.is_finite() or not Decimal(self.minimum) <= number <= Decimal(self.maximum):
            raise ValueError(
                f"{self.contract}.{self.name} goes from {self.minimum} to {self.maximum}"
            )
        text = format(number.normalize(), "f")
        if self.kind == "percentage":
            return f"{text}%"
        if self.kind == "money":
            return f"{text} {self.unit}"
        return text


def scenarios(files: PolicyFiles) -> list[str]:
    """The scenario files of the policy directory."""
    return [
        n
        for n in files.listing()
        if n.startswith(f"{SCENARIO_DIRECTORY}/") and n.endswith((".yaml", ".yml"))
    ]


def _bounds(kind: str, value: Decimal, swept: list[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """The range of a control: a percentage from 0 to 100; an amount or a number from 0 to
    four times its value (at least 1); widened to any value the scenario sweeps."""
    if kind == "percentage":
        low, high, step = Decimal(0), Decimal(100), Decimal(1)
    else:
        high = max(value * 4, Decimal(1))
        low = Decimal(0)
        exponent = high.adjusted() - 2
        step = Decimal(1).scaleb(exponent)
    for v in swept:
        low, high = min(low, v), max(high, v)
    return low, high, step


def _number(literal: object, kind: str) -> Decimal | None:
    text = str(literal).strip()
    try:
        if kind == "percentage" and text.endswith("%"):
            return Decimal(text[:-1])
        return Decimal(text.split()[0])
    except (InvalidOperation, IndexError):
        return None


def controls(scenario: Scenario, files: PolicyFiles) -> list[Control]:
    """Every literal parameter of every contract of every variant (a percentage, an
    amount, a number or a date), valued as the variant sets it, with its range."""
    found: list[Control] = []
    for name, variant in scenario.variants.items():
        for relative in variant.policies:
            path = scenario.path(relative)
            if not path.is_file() or path.suffix != ".clause":
                continue  # directories hold the jurisdiction packs: laws, not terms
            source, _ = parse(path.read_text(encoding="utf-8"), str(path))
            try:
                shown = files.name_of(path)
            except ValueError:
                shown = path.name
            for block in source.blocks:
                if block.kind != "contract":
                    continue
                given = variant.parameters.get(block.name, {})
                for parameter in block.parameters:
                    control = _control(scenario, name, block, parameter, given, shown)
                    if control is not None:
                        found.append(control)
    return found


def _control(
    scenario: Scenario,
    variant: str,
    block: ast.Block,
    parameter: ast.Parameter,
    given: dict[str, Any],
    file: str,
) -> Control | None:
    value = parameter.value
    swept_literals = [
        v
        for s in scenario.sweeps
        if s.variant == variant and s.contract == block.name and s.parameter == parameter.name
        for v in s.values
    ]
    if isinstance(value, ast.DateLit):
        shown = str(given.get(parameter.name, value.value.isoformat()))
        return Control(
            variant, block.name, parameter.name, "date", shown, "", "", "", "",
            parameter.span.line, file,
        )  # fmt: skip
    if isinstance(value, ast.PercentLit):
        kind, unit, default = "percentage", "%", value.value
    elif isinstance(value, ast.MoneyLit):
        kind, unit, default = "money", value.currency, value.amount
    elif isinstance(value, ast.NumberLit):
        kind, unit, default = "number", "", value.value
    else:
        return None
    current = _number(given[parameter.name], kind) if parameter.name in given else default
    if current is None:
        current = default
    swept = [n for n in (_number(v, kind) for v in swept_literals) if n is not None]
    low, high, step = _bounds(kind, max(default, current), [*swept, current])
    return Control(
        variant,
        block.name,
        parameter.name,
        kind,
        format(current.normalize(), "f"),
        format(low.normalize(), "f"),
        format(high.normalize(), "f"),
        format(step.normalize(), "f"),
        unit,
        parameter.span.line,
        file,
    )


def open_scenario(files: PolicyFiles, name: str) -> Scenario:
    """A scenario file of the directory, validated (`ScenarioError` with every problem)."""
    if not name.startswith(f"{SCENARIO_DIRECTORY}/"):
        raise FileRefused(f"`{name}` is not in {SCENARIO_DIRECTORY}/")
    return load_scenario(files.resolve(name))


def with_values(scenario: Scenario, variant: str, values: dict[str, dict[str, str]]) -> Scenario:
    """The scenario reduced to one variant, its parameters overridden by `values`."""
    if variant not in scenario.variants:
        raise ScenarioError([f"there is no variant `{variant}` in this scenario"])
    chosen = scenario.variants[variant]
    parameters: dict[str, dict[str, str | int | float]] = {
        block: dict(items) for block, items in chosen.parameters.items()
    }
    for block, items in values.items():
        parameters.setdefault(block, {}).update(items)
    changed = chosen.model_copy(update={"parameters": parameters})
    return scenario.model_copy(update={"variants": {variant: changed}, "sweeps": []})


def literals(
    scenario: Scenario, files: PolicyFiles, variant: str, values: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Values from the page (`contract.parameter` → control value) as clause literals,
    each checked against its control's range."""
    known = {f"{c.contract}.{c.name}": c for c in controls(scenario, files) if c.variant == variant}
    result: dict[str, dict[str, str]] = {}
    for key, value in values.items():
        control = known.get(key)
        if control is None:
            raise ScenarioError([f"`{key}` is not a parameter of variant `{variant}`"])
        result.setdefault(control.contract, {})[control.name] = control.literal(str(value))
    return result


def run(
    scenario: Scenario,
    variant: str,
    values: dict[str, dict[str, str]],
    drawn: DrawnUsage | None = None,
) -> dict[str, Any]:
    """One variant with `values`, run once on the scenario's uses: its summary. `drawn`
    keeps the catalogue and uses between runs that change only the terms."""
    result = simulate(
        with_values(scenario, variant, values),
        runs=LIVE_RUNS,
        with_sweeps=False,
        workers=1,
        drawn=drawn,
    )
    data = summary(result)
    single: dict[str, Any] = data["variants"][variant]
    distribution = sorted(result.variants[0].runs[0].artists.values(), reverse=True)
    single["artists_curve"] = _curve(distribution, len(result.variants[0].artists))
    single["seconds"] = data["seconds"]
    single["currency"] = data["currency"]
    single["uses"] = data["uses_per_run"][0]
    return single


def _curve(earnings: list[Decimal], artists: int, points: int = 20) -> list[Decimal]:
    """The share of all artist earnings that the top k/points of artists receive."""
    padded = earnings + [Decimal(0)] * max(0, artists - len(earnings))
    total = sum(padded, Decimal(0))
    if not padded or total == 0:
        return [Decimal(0)] * (points + 1)
    out = [Decimal(0)]
    for k in range(1, points + 1):
        top = padded[: max(1, round(len(padded) * k / points))]
        out.append(sum(top, Decimal(0)) / total)
    return out


MEASURES = (
    "paid_artists",
    "paid_rights_holders",
    "developer_keeps",
    "revenue_blocked",
    "uses_denied",
    "artists_median",
    "artists_gini",
    "artists_zero",
)


def compare(baseline: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The table and charts of the current values beside the baseline."""
    rows = []
    for key in MEASURES:
        old, new = baseline["measures"][key], current["measures"][key]
        rows.append(
            {
                "key": key,
                "label": new["label"],
                "baseline": str(old["mean"]),
                "current": str(new["mean"]),
                "changed": str(old["mean"]) != str(new["mean"]),
            }
        )
    currency = current["currency"]

    def money(side: dict[str, Any], key: str) -> Decimal:
        return Decimal(side["measures"][key]["mean"])

    paid = bar_chart(
        f"Who is paid what ({currency})",
        ["Artists", "Rights holders", "Developer keeps"],
        {
            "baseline": [money(baseline, k) for k in MEASURES[:3]],
            "current": [money(current, k) for k in MEASURES[:3]],
        },
    )
    reasons = sorted(set(baseline["denied_by"]) | set(current["denied_by"]))
    blocked = bar_chart(
        "What is blocked (uses denied, by reason)",
        [r.split(":")[0] for r in reasons] or ["nothing denied"],
        {
            side: [Decimal(values["denied_by"].get(r, 0)) for r in reasons] or [Decimal(0)]
            for side, values in (("baseline", baseline), ("current", current))
        },
    )
    artists = curve_chart(
        "Per-artist distribution: share of earnings of the top artists",
        {"baseline": baseline["artists_curve"], "current": current["artists_curve"]},
    )
    return {
        "rows": rows,
        "charts": {"paid": paid, "blocked": blocked, "artists": artists},
        "seconds": current["seconds"],
        "uses": current["uses"],
    }


def save_variant(
    files: PolicyFiles,
    scenario_name: str,
    variant: str,
    new_name: str,
    values: dict[str, dict[str, str]],
) -> str:
    """Write a new scenario file: the scenario with the variant as it was and, beside it,
    the variant with `values` (named `new_name`). Returns the new file's name."""
    if not _NAME.fullmatch(new_name):
        raise FileRefused("name the variant with lower-case letters, digits and dashes")
    document = safe_yaml.load(files.read(scenario_name))
    if not isinstance(document, dict) or variant not in document.get("variants", {}):
        raise FileRefused(f"there is no variant `{variant}` in {scenario_name}")
    original = document["variants"][variant]
    copy = dict(original)
    parameters = {k: dict(v) for k, v in (original.get("parameters") or {}).items()}
    for block, items in values.items():
        parameters.setdefault(block, {}).update(items)
    copy["parameters"] = parameters
    copy["title"] = f"{original.get('title') or variant} ({new_name})"
    document["variants"][new_name] = copy
    document["sweeps"] = []
    target = f"{Path(scenario_name).parent.as_posix()}/{Path(scenario_name).stem}-{new_name}.yaml"
    text = (
        f"# A variant saved from the workbench: {new_name}, beside `{variant}` of "
        f"{Path(scenario_name).name}.\n"
        + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    )
    files.write(target, text, None)
    load_scenario(files.resolve(target))  # what was written is a scenario that loads
    return target


def compare_versions(files: PolicyFiles, old: str, new: str, shared: list[str]) -> dict[str, Any]:
    """What `new` decides differently from `old` (two clause files of the directory),
    with `shared` (e.g. `jurisdictions`) loaded with both, listed in plain English."""
    paths = [files.resolve(old)], [files.resolve(new)]
    extra = [_shared(files, s) for s in shared]
    result = diff([*paths[0], *extra], [*paths[1], *extra])
    return {
        "uses": result.uses,
        "changes": [
            {
                "kind": c.kind,
                "sentence": _sentence(c),
                "count": c.count,
                "purposes": c.purposes,
                "territories": c.territories,
                "old_rules": c.old_rules,
                "new_rules": c.new_rules,
            }
            for c in result.changes
        ],
    }


def _shared(files: PolicyFiles, name: str) -> Path:
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise FileRefused(f"`{name}` is outside the policy directory")
    path = (files.root / relative).resolve()
    if not path.is_relative_to(files.root) or not path.exists():
        raise FileRefused(f"there is no `{name}` in the policy directory")
    return path


def _sentence(change: Any) -> str:
    uses = f"{change.count:,} use{'s' if change.count != 1 else ''}"
    where = ", ".join(change.territories[:6]) + (" …" if len(change.territories) > 6 else "")
    purposes = ", ".join(change.purposes)
    if change.kind == "obligation":
        return f"{change.summary}: {uses} ({purposes}; in {where})."
    before = ", ".join(change.old_rules) or "no clause"
    after = ", ".join(change.new_rules) or "no clause"
    return f"{change.summary}: {uses} ({purposes}; in {where}), by {before} before and {after} now."
