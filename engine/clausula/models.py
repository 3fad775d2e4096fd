"""The two JSON contracts with every caller: a proposed `Use` and the `Decision` about it.

Field names follow the product brief exactly; unknown fields in a use are an error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .identifiers import PARTY_SCHEMES, WORK_SCHEMES, id_problem
from .json_input import printable
from .limits import (
    MAX_AMOUNT,
    MAX_ARTISTS,
    MAX_CONTEXTS,
    MAX_COUNT,
    MAX_FACTS,
    MAX_FRACTION_DIGITS,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_NUMBER_CHARS,
    MAX_TEXT_CHARS,
    MAX_WORKS,
    number_problem,
)
from .money import currency_problem, minor_digits, minor_unit
from .use_vocabulary import context_problem, fact_problem, purpose_problem, territory_problem

# Decimals travel as strings in JSON, never as binary floats.
DecimalString = Annotated[
    Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------- checks of single values


def _refused(problem: str) -> ValueError:
    """The error of a validator, its message printable: a value quoted in it may hold a
    lone surrogate (a Python caller's `str`), which pydantic itself cannot carry."""
    return ValueError(printable(problem))


@lru_cache(maxsize=65_536)
def _id_problem(value: str, kinds: frozenset[str]) -> str | None:
    return id_problem(value, kinds)


def _party_id(value: str) -> str:
    problem = _id_problem(value, PARTY_SCHEMES)
    if problem:
        raise _refused(problem)
    return value


def _work_id(value: str) -> str:
    problem = _id_problem(value, WORK_SCHEMES)
    if problem:
        raise _refused(problem)
    return value


PartyId = Annotated[
    str,
    Field(
        max_length=MAX_ID_CHARS,
        json_schema_extra={"pattern": "^(isni|ipi|dpid|party):"},
        description="A party id with its scheme and check character: isni:, ipi:, dpid:, party:",
    ),
    AfterValidator(_party_id),
]
WorkId = Annotated[
    str,
    Field(
        max_length=MAX_ID_CHARS,
        json_schema_extra={"pattern": "^(isrc|iswc):"},
        description="A work id with its scheme and check character: isrc:, iswc:",
    ),
    AfterValidator(_work_id),
]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]


def _in_vocabulary(problem_of: Callable[[str, Any], str | None]) -> AfterValidator:
    """Check a name against the policy set's vocabulary when one is given in the validation
    context (`parse_use(…, vocabulary=…)`), so that one answer lists every problem."""

    def check(value: str, info: ValidationInfo) -> str:
        vocabulary = (info.context or {}).get("vocabulary")
        problem = problem_of(value, vocabulary) if vocabulary is not None else None
        if problem:
            raise _refused(problem)
        return value

    return AfterValidator(check)


PurposeName = Annotated[Name, _in_vocabulary(lambda v, known: purpose_problem(v, known.purposes))]
TerritoryCode = Annotated[
    str,
    Field(min_length=2, max_length=MAX_NAME_CHARS),
    _in_vocabulary(lambda v, known: territory_problem(v)),
]
ContextName = Annotated[Name, _in_vocabulary(lambda v, known: context_problem(v, known.contexts))]
FactName = Annotated[Name, _in_vocabulary(lambda v, known: fact_problem(v, known.facts))]

_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _decimal_text(value: object, what: str) -> Decimal:
    """A decimal written plainly (`1200.00`, `0.6`): no sign, no exponent, no `NaN`."""
    if isinstance(value, Decimal):
        text = str(value)
        if not value.is_finite():
            raise ValueError(f"{text} is not {what}")
        if value < 0:
            raise ValueError(f"{what} cannot be negative ({text})")
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f'write {what} as a decimal string such as "0.5"')
    # Quoted in the messages below: a lone surrogate would make pydantic itself fail.
    text = printable(value) if isinstance(value, str) else repr(value)
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"{what} has at most {MAX_NUMBER_CHARS} characters")
    if _PLAIN_DECIMAL.fullmatch(text):
        return Decimal(text)
    if text.lstrip().startswith("-"):
        raise ValueError(f"{what} cannot be negative (`{text}`)")
    if "e" in text.lower() and "n" not in text.lower():  # 1e3, 2.5E-2; not inf/nan
        raise ValueError(f"write {what} without an exponent: `{text}` is not a plain decimal")
    raise ValueError(
        f'`{text}` is not {what}: write digits with an optional decimal point, such as "12.50"'
    )


_PLAIN_WEIGHT = re.compile(rf"[01](?:\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?")


def _amount(value: object) -> Decimal:
    if type(value) is str and len(value) <= MAX_NUMBER_CHARS and _PLAIN_DECIMAL.fullmatch(value):
        amount = Decimal(value)  # the common case, checked first
        if amount <= MAX_AMOUNT:
            return amount
    # Money is a decimal string: a JSON number would have passed through binary floating point.
    if isinstance(value, bool | int | float):
        raise ValueError('write money as a decimal string such as "1200.00", not a number')
    amount = _decimal_text(value, "an amount")
    if amount > MAX_AMOUNT:
        raise ValueError(f"an amount in a use is at most {MAX_AMOUNT:,} (the limit)")
    return amount


def _weight(value: object) -> Decimal:
    if type(value) is str and _PLAIN_WEIGHT.fullmatch(value):
        weight = Decimal(value)  # the common case, checked first
        if weight <= 1:
            return weight
    weight = _decimal_text(value, "a weight")
    exponent = weight.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_FRACTION_DIGITS:
        raise ValueError(f"a weight has at most {MAX_FRACTION_DIGITS} decimal places")
    if weight > 1:
        raise ValueError(f"a weight is between 0 and 1, not {weight}")
    return weight


def _currency(value: str) -> str:
    problem = currency_problem(value)
    if problem:
        raise _refused(problem)
    return value


def _fact(value: object) -> object:
    if isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"a text fact has at most {MAX_TEXT_CHARS:,} characters")
        try:  # a str in a union is not checked for lone surrogates as a plain str field is
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text with a lone surrogate (not a Unicode character)") from None
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        problem = number_problem(value)
        if problem:
            raise _refused(problem)
    return value


Weight = Annotated[DecimalString, BeforeValidator(_weight)]
FactValue = bool | int | Decimal | dt.date | str
CheckedFact = Annotated[FactValue, AfterValidator(_fact)]


def _count(value: object) -> object:
    # Checked before pydantic converts it: 1e30 would otherwise fail as an unparsable int.
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_COUNT:
        raise ValueError(f"a count is at most {MAX_COUNT:,} (the limit)")
    return value


Count = Annotated[int, Field(ge=0, le=MAX_COUNT), BeforeValidator(_count)]


def _in_minor_unit(amount: Decimal, currency: str) -> Decimal | None:
    """`amount` (finite) written to the minor unit of `currency` (`1200` → `1200.00`; the
    same object when it is already), or None when it has more decimals than the currency."""
    digits = minor_digits(currency)
    unit = minor_unit(currency)
    if amount.same_quantum(unit):  # the usual case, `1200.00` USD: no tuple of its digits
        return amount
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: checked by `_amount`
    if -exponent > digits:
        return None
    if -exponent < digits:
        return amount.quantize(unit)
    return amount


class MoneyAmount(_Strict):
    """An exact amount with its ISO 4217 currency, in at most the currency's minor unit."""

    amount: Annotated[
        DecimalString,
        BeforeValidator(_amount),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": r"^[0-9]+(\.[0-9]+)?$",
                "maxLength": MAX_NUMBER_CHARS,
                "description": "A decimal string, at most the currency's minor unit, "
                f"at most {MAX_AMOUNT:,}",
            },
            mode="validation",
        ),
    ]
    currency: Annotated[
        str, Field(json_schema_extra={"pattern": "^[A-Z]{3}$"}), AfterValidator(_currency)
    ]

    @model_validator(mode="after")
    def _minor_unit(self) -> MoneyAmount:
        """At most as many decimals as the currency has; fewer are written out (`1200` →
        `1200.00`), so that every amount prints to the currency's minor unit."""
        in_minor_unit = _in_minor_unit(self.amount, self.currency)
        if in_minor_unit is None:
            digits = minor_digits(self.currency)
            raise ValidationError.from_exception_data(
                "MoneyAmount",
                [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "minor_unit",
                            "{amount} has more decimals than {currency} has ({digits})",
                            {
                                "amount": str(self.amount),
                                "currency": self.currency,
                                "digits": digits,
                            },
                        ),
                        loc=("amount",),
                        input=str(self.amount),
                    )
                ],
            )
        if in_minor_unit is not self.amount:  # the same value to the minor unit (frozen: set once)
            object.__setattr__(self, "amount", in_minor_unit)
        return self


class Metrics(_Strict):
    """What the use earned and how much of it there was."""

    revenue: MoneyAmount | None = None
    generations: Count = 0
    streams: Count = 0


class Output(_Strict):
    """Flags describing the output; a missing flag is false."""

    synthetic_audio: bool = False
    digital_replica: bool = False
    public: bool = False
    names_artist: bool = False
    labelled_ai: bool = False


class Use(_Strict):
    """One proposed use: (licensee, purpose, territory, date) and what it touches and earned."""

    # Lone surrogates in any string are refused by pydantic itself (`string_unicode`).
    id: Annotated[str, Field(max_length=MAX_ID_CHARS)] | None = None
    date: dt.date
    licensee: PartyId
    purpose: PurposeName
    territory: TerritoryCode
    works: Annotated[list[WorkId], Field(max_length=MAX_WORKS)] = Field(default_factory=list)
    artists: Annotated[list[PartyId], Field(max_length=MAX_ARTISTS)] = Field(default_factory=list)
    attribution: Annotated[dict[PartyId, Weight], Field(max_length=MAX_ARTISTS)] = Field(
        default_factory=dict
    )
    output: Output = Field(default_factory=Output)
    context: Annotated[list[ContextName], Field(max_length=MAX_CONTEXTS)] = Field(
        default_factory=list
    )
    commercial: bool = False
    metrics: Metrics = Field(default_factory=Metrics)
    facts: Annotated[dict[FactName, CheckedFact], Field(max_length=MAX_FACTS)] = Field(
        default_factory=dict
    )

    @field_validator("attribution")
    @classmethod
    def _weights(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if sum(value.values(), Decimal(0)) > 1:
            raise ValueError("attribution weights must add up to at most 1")
        return value


# The plain shape of a use, read without pydantic's walk: `plain_use.py`.

Outcome = Literal["allow", "deny", "pay"]

# The parts of a decision are immutable: the engine shares them between decisions (the
# same reason, the same policy information), which keeps a batch of decisions small.
_PART = ConfigDict(frozen=True)


class Payment(BaseModel):
    """One payment due to one payee under one rule, rounded to the currency's minor unit."""

    model_config = _PART

    payee: str
    amount: DecimalString
    currency: str
    rule: str
    source: str
    basis: str


class Total(BaseModel):
    """The sum of the payments in one currency."""

    model_config = _PART

    amount: DecimalString
    currency: str


class Obligation(BaseModel):
    """A duty that comes with the use."""

    model_config = _PART

    rule: str
    text: str
    citation: str | None = None
    source: str


class Reason(BaseModel):
    """One effect that contributed to the decision, with the rule and place behind it.

    `source` is `path:line:column` of the effect in its clause file, or None for a reason
    the engine's own opt-in rule gives (no contract licenses the licensee), which no file
    says."""

    model_config = _PART

    effect: str = Field(
        description="permit, deny, consent-met, consent-missing, no-licence, licence-met, "
        "exception, set-aside, oblige, obligation-met, risk, no-payment, or unknown-id (an id "
        "of the use that no contract or data file names; `rule` is its JSON Pointer)"
    )
    rule: str
    message: str
    citation: str | None = None
    source: str | None = Field(
        description="`path:line:column` of the effect in its clause file; null when the "
        "engine's own opt-in rule gives the reason (no file says it)."
    )


class PolicyInfo(BaseModel):
    """Which policy set decided: its version hash and what applied."""

    model_config = _PART

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
