"""The scenario file: which terms to compare, on which catalogue, with which usage.

A scenario is YAML (see `docs/simulate.md`; `clausula simulate --schema` prints its JSON
Schema). Paths in it are relative to the scenario file. Percentages are written as in a
clause (`30%`) or as a fraction (`0.3`); money as `0.012 USD`, never a float amount.
Every problem is reported as `file:line:column: sentence`, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from yaml.nodes import MappingNode, Node

from .. import safe_yaml
from ..catalogue import _Loader, _node_at
from ..errors import ClausulaError
from ..json_input import printable
from ..money import Money, is_currency


class ScenarioError(ClausulaError, ValueError):
    """A scenario file that cannot be used: every problem as `file:line:column: sentence`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _fraction(value: object) -> object:
    """`30%`, `0.3` or `"0.3"` → Decimal('0.3'); floats go through their shortest text."""
    if isinstance(value, bool):
        raise ValueError("write a share such as 30% or 0.3")
    if isinstance(value, int | float):
        value = repr(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                return Decimal(text[:-1].strip()) / 100
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"`{printable(value)}` is not a share such as 30% or 0.3") from None
    if isinstance(value, Decimal):
        return value
    raise ValueError("write a share such as 30% or 0.3")


def _money(value: object) -> object:
    """`0.012 USD` → Money; a bare number is refused (the currency must be written)."""
    if isinstance(value, Money):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\s*\d+(\.\d+)?\s+[A-Z]{3}\s*", value):
        raise ValueError(
            f"write an amount with its currency, such as 0.012 USD, not `{printable(str(value))}`"
        )
    amount, currency = value.split()
    if not is_currency(currency):
        raise ValueError(f"`{currency}` is not an ISO 4217 currency code")
    return Money(Decimal(amount), currency)


Share = Annotated[Decimal, BeforeValidator(_fraction), Field(ge=0, le=1)]
Rate = Annotated[Decimal, BeforeValidator(_fraction), Field(ge=-1, le=10)]
Amount = Annotated[Money, BeforeValidator(_money)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Variant(_Model):
    """One version of the terms: clause files, the licensee they license, overrides."""

    title: str | None = Field(None, description="A short name for tables and charts.")
    policies: list[str] = Field(
        min_length=1,
        description="Clause files or directories, relative to the scenario file.",
    )
    licensee: str = Field(description="The licensee the simulated uses are made by.")
    parameters: dict[str, dict[str, str | int | float]] = Field(
        default_factory=dict,
        description="Overrides per contract: `{aria-optin-2026: {artist_pool: 40%}}`, written "
        "as clause literals.",
    )
    assume: list[str] = Field(default_factory=list, description="Proposed laws assumed enacted.")


class SyntheticCatalogue(_Model):
    """A generated catalogue: artists, works with skewed popularity, and consents."""

    seed: int | None = Field(None, description="Default: the scenario's seed.")
    rights_holder: str = "party:example-label"
    artists: Annotated[int, Field(ge=1, le=1_000_000)] = 500
    works: Annotated[int, Field(ge=1, le=5_000_000)] = 2000
    featured_share: Share = Field(
        Decimal("0.15"), description="Share of works with a featured artist."
    )
    tdm_reserved_share: Share = Field(
        Decimal(0), description="Share of works whose rights holder reserved TDM."
    )
    popularity_exponent: Annotated[Decimal, Field(gt=0, le=5)] = Field(
        Decimal("1.1"), description="Zipf exponent of work popularity (and of artists' output)."
    )
    opt_in: dict[str, Share] = Field(
        default_factory=dict,
        description="Share of artists who opt in, per purpose, e.g. `{training: 60%}`.",
    )
    formalities: list[str] = Field(
        default_factory=lambda: ["in_writing", "signed"],
        description="Formalities of every generated grant.",
    )
    grants_from: dt.date = dt.date(2026, 1, 1)
    residence: dict[str, Share] = Field(
        default_factory=lambda: {"US": Decimal(1)},
        description="Where artists live, as shares.",
    )


class Catalogue(_Model):
    """Real data files (`data`) or a synthetic catalogue (`synthetic`)."""

    data: str | None = Field(None, description="A data directory, relative to the scenario.")
    synthetic: SyntheticCatalogue | None = None


class PurposeUsage(_Model):
    """Projected usage of one purpose, per month."""

    per_work: bool = Field(
        False,
        description="One use per work of the catalogue (training) in `months`, instead of "
        "`uses_per_month` output records.",
    )
    months: list[Annotated[int, Field(ge=1)]] | None = Field(
        None, description="Months (1 = the first) with usage; default: every month."
    )
    catalogue_share: Share = Field(Decimal(1), description="With per_work: share of works used.")
    uses_per_month: Annotated[int, Field(ge=0)] = Field(
        0, description="Mean number of usage records in the first month (Poisson)."
    )
    growth: Rate = Field(Decimal(0), description="Monthly growth of the volume, e.g. 3%.")
    generations_per_use: Annotated[Decimal, Field(ge=0)] = Field(
        Decimal(0), description="Mean generations in one record (Poisson)."
    )
    streams_per_use: Annotated[Decimal, Field(ge=0)] = Field(
        Decimal(0), description="Mean streams of the outputs of one record (Poisson)."
    )
    revenue_per_generation: Amount | None = None
    revenue_per_stream: Amount | None = None
    territories: dict[str, Share] = Field(
        default_factory=lambda: {"US": Decimal(1)}, description="Where the uses happen."
    )
    works_per_use: dict[int, Share] = Field(
        default_factory=lambda: {1: Decimal(1)},
        description="How many works an output draws on (their performers are attributed).",
    )
    attributed_share: Share = Field(
        Decimal("0.9"), description="Share of an output's influence attributed to the artists."
    )
    name_artists: bool = Field(
        False, description="The output reproduces the main artist (use.artists)."
    )
    output: dict[str, bool] = Field(default_factory=dict, description="Output flags.")
    contexts: dict[str, Share] = Field(
        default_factory=dict, description="Share of records claiming each context."
    )
    commercial: bool = True


class Usage(_Model):
    """Usage per purpose (`training`, `generation`, … from the vocabulary)."""

    purposes: dict[str, PurposeUsage] = Field(min_length=1)


class Sweep(_Model):
    """One parameter of one variant over a range of values."""

    variant: str
    contract: str
    parameter: str
    values: list[str | int | float] = Field(min_length=1)
    runs: Annotated[int, Field(ge=1, le=10_000)] = 1


class Scenario(_Model):
    """A negotiation scenario: variants of the terms, a catalogue, usage, runs."""

    title: str
    description: str | None = None
    seed: int = 0
    runs: Annotated[int, Field(ge=1, le=10_000)] = 1
    start: dt.date
    months: Annotated[int, Field(ge=1, le=600)] = 12
    currency: str = "USD"
    variants: dict[str, Variant] = Field(min_length=1)
    catalogue: Catalogue
    usage: Usage
    sweeps: list[Sweep] = Field(default_factory=list)

    # Where the file is (paths inside are relative to it); set by `load_scenario`.
    base: Path = Field(default=Path("."), exclude=True)

    def path(self, relative: str) -> Path:
        """A path of the scenario, relative to the scenario file."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.base / candidate


def schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    data = Scenario.model_json_schema()
    data.get("properties", {}).pop("base", None)
    return data


def _problem(path: str, node: Node | None, message: str) -> str:
    if node is None:
        return f"{path}: {message}"
    mark = node.start_mark
    return f"{path}:{mark.line + 1}:{mark.column + 1}: {message}"


def _sentence(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"`{loc}` is not a field of a scenario here"
    if kind == "missing":
        return f"`{loc}` is required"
    message = str(error.get("ctx", {}).get("error", "")) or str(error["msg"])
    message = message.removeprefix("Value error, ")
    return f"{loc}: {message[0].lower() + message[1:] if message else message}"


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises `ScenarioError` with every problem."""
    file = Path(path)
    shown = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{shown}: there is no such scenario file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([f"{shown}: cannot be read ({error})"]) from None
    try:
        root = safe_yaml.compose(text, _Loader)
        data = safe_yaml.load(text, _Loader)
    except yaml.YAMLError as error:
        line, column = safe_yaml.place_of(error, text)
        problem = safe_yaml.problem_of(error)
        raise ScenarioError(
            [f"{shown}:{line}:{column}: this is not valid YAML: {problem}"]
        ) from None
    if not isinstance(data, dict) or not isinstance(root, MappingNode):
        raise ScenarioError([f"{shown}:1:1: a scenario is a mapping of fields (title, start, …)"])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(p for p in item["loc"] if not str(p).startswith("function-"))
            node = _node_at(root, loc, key=item["type"] == "extra_forbidden")
            problems.append(_problem(shown, node, _sentence({**item, "loc": loc})))
        raise ScenarioError(problems) from None
    problems = []
    for name, sweep in enumerate(scenario.sweeps):
        if sweep.variant not in scenario.variants:
            node = _node_at(root, ("sweeps", name, "variant"))
            problems.append(
                _problem(shown, node, f"there is no variant `{sweep.variant}` to sweep")
            )
    catalogue = scenario.catalogue
    if (catalogue.data is None) == (catalogue.synthetic is None):
        node = _node_at(root, ("catalogue",))
        problems.append(
            _problem(shown, node, "give the catalogue either `data` (a directory) or `synthetic`")
        )
    if not is_currency(scenario.currency):
        node = _node_at(root, ("currency",))
        problems.append(_problem(shown, node, f"`{scenario.currency}` is not a currency code"))
    for purpose, usage in scenario.usage.purposes.items():
        for field in ("revenue_per_generation", "revenue_per_stream"):
            money = getattr(usage, field)
            if money is not None and money.currency != scenario.currency:
                node = _node_at(root, ("usage", "purposes", purpose, field))
                problems.append(
                    _problem(
                        shown,
                        node,
                        f"the scenario is in {scenario.currency}; write {field} in "
                        f"{scenario.currency} too",
                    )
                )
        for field in ("territories", "works_per_use"):
            shares = getattr(usage, field)
            if shares and sum(shares.values(), Decimal(0)) == 0:
                node = _node_at(root, ("usage", "purposes", purpose, field))
                problems.append(_problem(shown, node, f"{field}: the shares add up to nothing"))
    if problems:
        raise ScenarioError(problems)
    return scenario.model_copy(update={"base": file.resolve().parent})
