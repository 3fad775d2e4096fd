"""The two JSON contracts with every caller: a proposed `Use` and the `Decision` about it.

Field names follow the product brief exactly; unknown fields in a use are an error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar

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
from .money import currency_problem, minor_digits
from .use_vocabulary import context_problem, fact_problem, purpose_problem, territory_problem

# Decimals travel as strings in JSON, never as binary floats.
DecimalString = Annotated[
    Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_Model = TypeVar("_Model", bound=BaseModel)

# A model made without validation (`trusted`, `plain_use`): `object.__new__` and the slots
# of every pydantic model set directly. `model.__new__` would walk a model's long class
# hierarchy to find the same function: no model here defines `__new__`.
_new_record = object.__new__
_set_values = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def trusted(model: type[_Model], values: dict[str, Any], fields_set: set[str]) -> _Model:
    """A `model` holding `values` (every field, in the order of its fields) that the engine
    made and checked itself: what `model_construct` builds, without validation nor its loop
    over the fields (validating a decision the engine has just built cost more than
    deciding it). `fields_set` becomes the model's own: share one set only between
    instances that set every field (assigning a field adds a name already there; nothing
    in pydantic removes one)."""
    record: _Model = _new_record(model)
    _set_values(record, values)
    _set_fields_set(record, fields_set)
    _set_extra(record, None)
    _set_private(record, None)
    return record


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
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: checked by `_amount`
    if -exponent > digits:
        return None
    if -exponent < digits:
        return amount.quantize(Decimal(1).scaleb(-digits))
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


# ----------------------------------------------------------------- the plain shape of a use

_USE_FIELDS = frozenset(Use.model_fields)
_OUTPUT_FIELDS = frozenset(Output.model_fields)
_METRICS_FIELDS = frozenset(Metrics.model_fields)
_MONEY_FIELDS = frozenset(MoneyAmount.model_fields)
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NO_OUTPUT = Output()  # frozen, so one instance serves every use that sets no flag
_NO_METRICS = Metrics()


_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


class _Memo(dict[_Key, _Value]):
    """The values of a pure function of immutable keys, at most `bound` of them: full, it
    forgets them all (no bookkeeping on a hit, where `lru_cache` keeps an order). Safe to
    share between threads: each dict operation is atomic, and two threads that miss the same
    key compute the same value (threads that miss at once may each add one past the bound
    before the next miss clears it). Callers refuse long text before it becomes a key."""

    __slots__ = ("_bound", "_compute")

    def __init__(self, compute: Callable[[_Key], _Value], bound: int) -> None:
        super().__init__()
        self._compute = compute
        self._bound = bound

    def __missing__(self, key: _Key) -> _Value:
        value = self._compute(key)
        if len(self) >= self._bound:
            self.clear()
        self[key] = value
        return value


@lru_cache(maxsize=4096)
def _territory_accepted(code: str) -> bool:
    return territory_problem(code) is None


def _is_plain_party(value: str) -> bool:
    return value.isascii() and _id_problem(value, PARTY_SCHEMES) is None


def _is_plain_work(value: str) -> bool:
    return value.isascii() and _id_problem(value, WORK_SCHEMES) is None


def _is_plain_territory(code: str) -> bool:
    return len(code) >= 2 and code.isascii() and _territory_accepted(code)


# Ids (at most `MAX_ID_CHARS`): ASCII, with a known scheme and the right check character.
_PLAIN_PARTIES: _Memo[str, bool] = _Memo(_is_plain_party, 65_536)
_PLAIN_WORKS: _Memo[str, bool] = _Memo(_is_plain_work, 65_536)
# A territory (at most `MAX_NAME_CHARS`) that is plain text and where a use can happen.
_PLAIN_TERRITORIES: _Memo[str, bool] = _Memo(_is_plain_territory, 4096)


def _plain_text(value: object, longest: int, shortest: int = 1) -> bool:
    # ASCII: no lone surrogate, which pydantic would refuse.
    return type(value) is str and shortest <= len(value) <= longest and value.isascii()


def _plain_ids(values: object, accepted: _Memo[str, bool], most: int) -> list[str] | None:
    if type(values) is not list or len(values) > most:
        return None
    for value in values:
        if type(value) is not str or len(value) > MAX_ID_CHARS or not accepted[value]:
            return None
    return values.copy()


def _plain_money(value: object) -> MoneyAmount | None:
    if type(value) is not dict or value.keys() != _MONEY_FIELDS:
        return None
    text, currency = value["amount"], value["currency"]
    if type(text) is not str or type(currency) is not str:
        return None
    return _money(text, currency) if _short_money(text, currency) else None


def _short_money(text: str, currency: str) -> bool:
    # Longer text is never an amount nor a currency code; nor does it reach a memo.
    return len(text) <= MAX_NUMBER_CHARS and len(currency) == 3


@lru_cache(maxsize=16_384)
def _money(text: str, currency: str) -> MoneyAmount | None:
    # Frozen, so that one instance serves every use with the same amount.
    if currency_problem(currency):
        return None
    try:
        amount = _in_minor_unit(_amount(text), currency)
    except ValueError:
        return None
    if amount is None:
        return None
    return trusted(MoneyAmount, {"amount": amount, "currency": currency}, set(_MONEY_FIELDS))


def _revenue_only(money: tuple[str, str]) -> Metrics | None:
    """The metrics `{"revenue": {"amount": text, "currency": currency}}`, the shape most uses
    send: frozen, so that one instance serves every use with the same revenue."""
    revenue = _money(*money)
    if revenue is None:
        return None
    return trusted(Metrics, {"revenue": revenue, "generations": 0, "streams": 0}, {"revenue"})


# (amount text, currency) → the metrics of that revenue alone, or None when it is not plain.
_REVENUES_ONLY: _Memo[tuple[str, str], Metrics | None] = _Memo(_revenue_only, 16_384)


def _date_of(text: str) -> dt.date | None:
    if not _PLAIN_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# `YYYY-MM-DD` (10 characters) → the date, or None for any other text of 10 characters.
_PLAIN_DATES: _Memo[str, dt.date | None] = _Memo(_date_of, 16_384)


def _plain_metrics(value: object) -> Metrics | None:
    if type(value) is not dict:
        return None
    if len(value) == 1:  # most often the revenue alone: one memo
        revenue = value.get("revenue")
        if type(revenue) is dict and len(revenue) == 2:
            text, currency = revenue.get("amount"), revenue.get("currency")
            if type(text) is str and type(currency) is str and _short_money(text, currency):
                return _REVENUES_ONLY[text, currency]
    if not _METRICS_FIELDS.issuperset(value):
        return None
    revenue = value.get("revenue")
    if revenue is not None:
        revenue = _plain_money(revenue)
        if revenue is None:
            return None
    fields = {"revenue": revenue, "generations": 0, "streams": 0}
    for name in ("generations", "streams"):
        if name in value:
            count = value[name]
            if type(count) is not int or not 0 <= count <= MAX_COUNT:
                return None
            fields[name] = count
    return trusted(Metrics, fields, set(value))


def _plain_output(value: object) -> Output | None:
    if type(value) is not dict or not _OUTPUT_FIELDS.issuperset(value):
        return None
    flags = dict.fromkeys(Output.model_fields, False)
    for name, flag in value.items():
        if type(flag) is not bool:
            return None
        flags[name] = flag
    return trusted(Output, flags, set(value))


def _plain_attribution(value: object) -> dict[str, Decimal] | None:
    if type(value) is not dict or len(value) > MAX_ARTISTS:
        return None
    weights: dict[str, Decimal] = {}
    try:
        for artist, weight in value.items():
            if type(artist) is not str or len(artist) > MAX_ID_CHARS or not _PLAIN_PARTIES[artist]:
                return None
            if type(weight) is not str:
                return None
            weights[artist] = _weight(weight)
    except ValueError:
        return None
    return weights if sum(weights.values(), Decimal(0)) <= 1 else None


_ABSENT: Any = object()  # a field the use does not give (None is a value: `"id": null`)


def plain_use(obj: dict[str, Any], vocabulary: Any = None) -> Use | None:
    """The `Use` that validating `obj` gives, when `obj` has the plain shape almost every
    use has (exact JSON types, ASCII text, no facts) and is valid; None otherwise, and
    then `Use.model_validate` decides, and says what is wrong (`parse_use`).

    Each value goes through the model's own checks (ids with their check characters, money,
    limits, the vocabulary); only pydantic's walk over the model is skipped, which cost
    more than deciding a simple use. That both agree on every input is a tested property
    (tests/test_plain_use.py)."""
    if not _USE_FIELDS.issuperset(obj):
        return None
    get = obj.get
    date, licensee = get("date"), get("licensee")
    purpose, territory = get("purpose"), get("territory")
    if type(date) is str:
        date = _PLAIN_DATES[date] if len(date) == 10 else None
        if date is None:
            return None
    elif type(date) is not dt.date:
        return None  # missing too (None)
    if type(licensee) is not str or len(licensee) > MAX_ID_CHARS or not _PLAIN_PARTIES[licensee]:
        return None
    if type(purpose) is not str or not 1 <= len(purpose) <= MAX_NAME_CHARS:
        return None
    if type(territory) is not str or len(territory) > MAX_NAME_CHARS:
        return None
    if vocabulary is None:
        if not purpose.isascii() or not (len(territory) >= 2 and territory.isascii()):
            return None
    elif (
        purpose not in vocabulary.purposes
        or not purpose.isascii()
        or not _PLAIN_TERRITORIES[territory]
    ):
        return None
    use_id = get("id")
    if use_id is not None and not _plain_text(use_id, MAX_ID_CHARS, 0):
        return None
    works = get("works", _ABSENT)
    works = [] if works is _ABSENT else _plain_ids(works, _PLAIN_WORKS, MAX_WORKS)
    artists = get("artists", _ABSENT)
    artists = [] if artists is _ABSENT else _plain_ids(artists, _PLAIN_PARTIES, MAX_ARTISTS)
    if works is None or artists is None:
        return None
    attribution = get("attribution", _ABSENT)
    attribution = {} if attribution is _ABSENT else _plain_attribution(attribution)
    output = get("output", _ABSENT)
    output = _NO_OUTPUT if output is _ABSENT else _plain_output(output)
    metrics = get("metrics", _ABSENT)
    metrics = _NO_METRICS if metrics is _ABSENT else _plain_metrics(metrics)
    if attribution is None or output is None or metrics is None:
        return None
    context = get("context", _ABSENT)
    if context is _ABSENT:
        context = []
    else:
        if type(context) is not list or len(context) > MAX_CONTEXTS:
            return None
        for name in context:
            if not _plain_text(name, MAX_NAME_CHARS) or (
                vocabulary is not None and name not in vocabulary.contexts
            ):
                return None
        context = context.copy()
    commercial = get("commercial", False)
    facts = get("facts", _ABSENT)
    if type(commercial) is not bool or (
        facts is not _ABSENT and (type(facts) is not dict or facts)
    ):
        return None
    # What `trusted(Use, …)` does, inline: this runs once per decision.
    use = _new_record(Use)
    _set_values(
        use,
        {
            "id": use_id,
            "date": date,
            "licensee": licensee,
            "purpose": purpose,
            "territory": territory,
            "works": works,
            "artists": artists,
            "attribution": attribution,
            "output": output,
            "context": context,
            "commercial": commercial,
            "metrics": metrics,
            "facts": {},
        },
    )
    _set_fields_set(use, set(obj))
    _set_extra(use, None)
    _set_private(use, None)
    return use


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
