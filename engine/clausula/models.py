"""The two JSON contracts with every caller: a proposed `Use` and the `Decision` about it.

Field names follow the product brief exactly; unknown fields in a use are an error.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

# Decimals travel as strings in JSON, never as binary floats.
DecimalString = Annotated[
    Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")
]

FactValue = bool | int | Decimal | dt.date | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MoneyAmount(_Strict):
    """An exact amount with its ISO 4217 currency."""

    amount: DecimalString
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]

    @field_validator("amount", mode="before")
    @classmethod
    def _no_floats(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError('write money as a decimal string such as "1200.00", not a number')
        return value


class Metrics(_Strict):
    """What the use earned and how much of it there was."""

    revenue: MoneyAmount | None = None
    generations: Annotated[int, Field(ge=0)] = 0
    streams: Annotated[int, Field(ge=0)] = 0


class Output(_Strict):
    """Flags describing the output; a missing flag is false."""

    synthetic_audio: bool = False
    digital_replica: bool = False
    public: bool = False
    names_artist: bool = False
    labelled_ai: bool = False


class Use(_Strict):
    """One proposed use: (licensee, purpose, territory, date) and what it touches and earned."""

    id: str | None = None
    date: dt.date
    licensee: Annotated[str, Field(min_length=1)]
    purpose: Annotated[str, Field(min_length=1)]
    territory: Annotated[str, Field(min_length=2)]
    works: list[str] = Field(default_factory=list)
    artists: list[str] = Field(default_factory=list)
    attribution: dict[str, DecimalString] = Field(default_factory=dict)
    output: Output = Field(default_factory=Output)
    context: list[str] = Field(default_factory=list)
    commercial: bool = False
    metrics: Metrics = Field(default_factory=Metrics)
    facts: dict[str, FactValue] = Field(default_factory=dict)

    @field_validator("attribution")
    @classmethod
    def _weights(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for artist, weight in value.items():
            if not weight.is_finite() or weight < 0 or weight > 1:
                raise ValueError(f"the weight of {artist} must be between 0 and 1")
        if sum(value.values(), Decimal(0)) > 1:
            raise ValueError("attribution weights must add up to at most 1")
        return value


Outcome = Literal["allow", "deny", "pay"]


class Payment(BaseModel):
    """One payment due to one payee under one rule, rounded to the currency's minor unit."""

    payee: str
    amount: DecimalString
    currency: str
    rule: str
    source: str
    basis: str


class Total(BaseModel):
    """The sum of the payments in one currency."""

    amount: DecimalString
    currency: str


class Obligation(BaseModel):
    """A duty that comes with the use."""

    rule: str
    text: str
    citation: str | None = None
    source: str


class Reason(BaseModel):
    """One effect that contributed to the decision, with the rule and place behind it.

    `source` is `path:line:column` of the effect in its clause file, or None for a reason
    the engine's own opt-in rule gives (no contract licenses the licensee), which no file
    says."""

    effect: str
    rule: str
    message: str
    citation: str | None = None
    source: str | None = Field(
        description="`path:line:column` of the effect in its clause file; null when the "
        "engine's own opt-in rule gives the reason (no file says it)."
    )


class PolicyInfo(BaseModel):
    """Which policy set decided: its version hash and what applied."""

    version: str
    contracts: list[str]
    jurisdictions: list[str]
    assumed: list[str] = Field(default_factory=list)


class Decision(BaseModel):
    """The answer about one use: allow, deny or pay, with everything behind it."""

    id: str | None
    decision: Outcome
    payments: list[Payment]
    totals: list[Total]
    obligations: list[Obligation]
    reasons: list[Reason]
    policy: PolicyInfo

    def to_json(self) -> str:
        """The brief's decision JSON on one line (no `assumed` key when nothing was assumed)."""
        exclude = None if self.policy.assumed else {"policy": {"assumed"}}
        return self.model_dump_json(exclude=exclude)
