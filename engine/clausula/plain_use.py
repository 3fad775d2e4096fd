"""The plain shape of a use, read without pydantic's walk over the model (`plain_use`).

A module of its own, apart from the models' classes, so that the build compiles it with
the decision path (hatch_build.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, TypeVar

from .identifiers import PARTY_SCHEMES, WORK_SCHEMES
from .limits import (
    MAX_ARTISTS,
    MAX_CONTEXTS,
    MAX_COUNT,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_NUMBER_CHARS,
    MAX_WORKS,
)
from .models import (
    Metrics,
    MoneyAmount,
    Output,
    Use,
    _amount,
    _id_problem,
    _in_minor_unit,
    _weight,
)
from .money import currency_problem
from .trusted_models import trusted
from .use_vocabulary import territory_problem

_OUTPUT_FIELDS: Final = frozenset(Output.model_fields)
_METRICS_FIELDS: Final = frozenset(Metrics.model_fields)
_MONEY_FIELDS: Final = frozenset(MoneyAmount.model_fields)
# The fields given, one set shared by every amount (and every revenue alone) read here: the
# models are frozen, so pydantic never adds a name to it (`trusted`).
_EVERY_MONEY_FIELD: Final = set(_MONEY_FIELDS)
_REVENUE_GIVEN: Final = {"revenue"}
_PLAIN_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NO_OUTPUT: Final = Output()  # frozen, so one instance serves every use that sets no flag
_NO_METRICS: Final = Metrics()


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
_PLAIN_PARTIES: Final[_Memo[str, bool]] = _Memo(_is_plain_party, 65_536)
_PLAIN_WORKS: Final[_Memo[str, bool]] = _Memo(_is_plain_work, 65_536)
# A territory (at most `MAX_NAME_CHARS`) that is plain text and where a use can happen.
_PLAIN_TERRITORIES: Final[_Memo[str, bool]] = _Memo(_is_plain_territory, 4096)


def _plain_text(value: object, longest: int, shortest: int = 1) -> bool:
    # ASCII: no lone surrogate, which pydantic would refuse.
    return type(value) is str and shortest <= len(value) <= longest and value.isascii()


def _plain_ids(values: object, accepted: _Memo[str, bool], most: int) -> list[str] | None:
    if type(values) is not list or len(values) > most:
        return None
    for value in values:
        if type(value) is not str or len(value) > MAX_ID_CHARS or not accepted[value]:
            return None
    return values[:]  # a slice, not `.copy()`: compiled, a direct C call


def _plain_money(value: object) -> MoneyAmount | None:
    if type(value) is not dict or value.keys() != _MONEY_FIELDS:
        return None
    text, currency = value["amount"], value["currency"]
    if type(text) is not str or type(currency) is not str:
        return None
    return plain_money(text, currency)


def plain_money(text: str, currency: str) -> MoneyAmount | None:
    """`{"amount": text, "currency": currency}` as `MoneyAmount` reads it (the same checks,
    remembered), or None when it is not a valid amount of that currency — then the model's
    own validation names what is wrong."""
    return _money(text, currency) if _short_money(text, currency) else None


def _short_money(text: str, currency: str) -> bool:
    # Longer text is never an amount nor a currency code; nor does it reach a memo.
    return len(text) <= MAX_NUMBER_CHARS and len(currency) == 3


def _read_money(text: str, currency: str) -> MoneyAmount | None:
    # Frozen, so that one instance serves every use with the same amount.
    if currency_problem(currency):
        return None
    try:
        amount = _in_minor_unit(_amount(text), currency)
    except ValueError:
        return None
    if amount is None:
        return None
    return trusted(MoneyAmount, {"amount": amount, "currency": currency}, _EVERY_MONEY_FIELD)


# (amount text, currency) → the amount, remembered: for the metrics of other shapes.
_money: Final = lru_cache(maxsize=16_384)(_read_money)


def _revenue_only(money: tuple[str, str]) -> Metrics | None:
    """The metrics `{"revenue": {"amount": text, "currency": currency}}`, the shape most uses
    send: frozen, so that one instance serves every use with the same revenue. (Read
    without `_money`'s memory: `_REVENUES_ONLY` remembers these by the same key.)"""
    revenue = _read_money(*money)
    if revenue is None:
        return None
    return trusted(Metrics, {"revenue": revenue, "generations": 0, "streams": 0}, _REVENUE_GIVEN)


# (amount text, currency) → the metrics of that revenue alone, or None when it is not plain.
_REVENUES_ONLY: Final[_Memo[tuple[str, str], Metrics | None]] = _Memo(_revenue_only, 16_384)


def _date_of(text: str) -> dt.date | None:
    if not _PLAIN_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# `YYYY-MM-DD` (10 characters) → the date, or None for any other text of 10 characters.
_PLAIN_DATES: Final[_Memo[str, dt.date | None]] = _Memo(_date_of, 16_384)


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


_ABSENT: Final[Any] = object()  # a field the use does not give (None is a value: `"id": null`)


class PlainRequest:
    """A use of the plain shape, its fields checked (`plain_request`), before its `Use` is
    made: the plan memo finds the plan of a request by these fields, and a use that its
    remembered plan denies is decided without a `Use` at all (`PolicySet.decide`)."""

    def __init__(
        self,
        given: dict[str, Any],
        use_id: str | None,
        date: dt.date,
        licensee: str,
        purpose: str,
        territory: str,
        works: list[str],
        artists: list[str],
        attribution: dict[str, Decimal],
        output: Output,
        context: list[str],
        commercial: bool,
        metrics: Metrics,
        vocabulary: Any,
    ) -> None:
        self.given = given
        self.id = use_id
        self.date = date
        self.licensee = licensee
        self.purpose = purpose
        self.territory = territory
        self.works = works
        self.artists = artists
        self.attribution = attribution
        self.output = output
        self.context = context
        self.commercial = commercial
        self.metrics = metrics
        # The vocabulary its purpose, territory and contexts were checked against (None:
        # none), so that planning does not check them again (`facts_of`).
        self.vocabulary = vocabulary
        self.made: Use | None = None

    def use(self) -> Use:
        """The `Use` that validating the request's object gives, made once."""
        made = self.made
        if made is None:
            made = self.made = trusted(
                Use,
                {
                    "id": self.id,
                    "date": self.date,
                    "licensee": self.licensee,
                    "purpose": self.purpose,
                    "territory": self.territory,
                    "works": self.works,
                    "artists": self.artists,
                    "attribution": self.attribution,
                    "output": self.output,
                    "context": self.context,
                    "commercial": self.commercial,
                    "metrics": self.metrics,
                    "facts": {},
                },
                set(self.given),
            )
        return made


def facts_of(subject: Use | PlainRequest, vocabulary: Any) -> dict[str, Any] | None:
    """The facts of a plain request checked against `vocabulary` (none: the plain shape has
    no facts), which `decide.use_facts` would give after checking its names again; None
    for anything else, which `use_facts` then reads."""
    if isinstance(subject, PlainRequest) and subject.vocabulary is vocabulary:
        return {}
    return None


def plain_use(obj: dict[str, Any], vocabulary: Any = None) -> Use | None:
    """The `Use` that validating `obj` gives, when `obj` has the plain shape almost every
    use has and is valid (`plain_request`); None otherwise."""
    request = plain_request(obj, vocabulary)
    return None if request is None else request.use()


def plain_request(obj: dict[str, Any], vocabulary: Any = None) -> PlainRequest | None:
    """The checked fields of `obj` (a `PlainRequest`, whose `use()` is the `Use` that
    validating `obj` gives) when `obj` has the plain shape almost every use has (exact JSON
    types, ASCII text, no facts) and is valid; None otherwise, and then `Use.model_validate`
    decides, and says what is wrong (`parse_use`).

    Each value goes through the model's own checks (ids with their check characters, money,
    limits, the vocabulary); only pydantic's walk over the model is skipped, which cost
    more than deciding a simple use. That both agree on every input is a tested property
    (tests/test_plain_use.py)."""
    # Every field read below is counted (`read`): `obj` holds no other key when the count
    # is its length (cheaper than comparing its keys with the model's fields).
    # `obj.get(…)`, not a bound `get`: compiled, a call on a dict is a direct C call.
    date, licensee = obj.get("date"), obj.get("licensee")
    purpose, territory = obj.get("purpose"), obj.get("territory")
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
    read = 4  # the date, licensee, purpose and territory: there, or refused above
    # The fields most uses give first: when they account for every key of `obj`, the
    # others take their defaults without a lookup each.
    artists = obj.get("artists", _ABSENT)
    if artists is _ABSENT:
        artists = []
    else:
        read += 1
        artists = _plain_ids(artists, _PLAIN_PARTIES, MAX_ARTISTS)
        if artists is None:
            return None
    metrics = obj.get("metrics", _ABSENT)
    if metrics is _ABSENT:
        metrics = _NO_METRICS
    else:
        read += 1
        metrics = _plain_metrics(metrics)
        if metrics is None:
            return None
    use_id: Any = None
    works: list[str] | None = []
    attribution: dict[str, Decimal] | None = {}
    output: Output | None = NO_OUTPUT
    context: Any = []
    commercial: Any = False
    if read != len(obj):
        value = obj.get("id", _ABSENT)
        if value is not _ABSENT:
            read += 1
            if value is not None and not _plain_text(value, MAX_ID_CHARS, 0):
                return None
            use_id = value
        value = obj.get("works", _ABSENT)
        if value is not _ABSENT:
            read += 1
            works = _plain_ids(value, _PLAIN_WORKS, MAX_WORKS)
        value = obj.get("attribution", _ABSENT)
        if value is not _ABSENT:
            read += 1
            attribution = _plain_attribution(value)
        value = obj.get("output", _ABSENT)
        if value is not _ABSENT:
            read += 1
            output = _plain_output(value)
        value = obj.get("context", _ABSENT)
        if value is not _ABSENT:
            read += 1
            if type(value) is not list or len(value) > MAX_CONTEXTS:
                return None
            for name in value:
                if not _plain_text(name, MAX_NAME_CHARS) or (
                    vocabulary is not None and name not in vocabulary.contexts
                ):
                    return None
            context = value.copy()
        value = obj.get("commercial", _ABSENT)
        if value is not _ABSENT:
            read += 1
            if type(value) is not bool:
                return None
            commercial = value
        value = obj.get("facts", _ABSENT)
        if value is not _ABSENT:
            read += 1
            if type(value) is not dict or value:
                return None
    if read != len(obj) or works is None or attribution is None or output is None:
        return None
    return PlainRequest(
        obj,
        use_id,
        date,
        licensee,
        purpose,
        territory,
        works,
        artists,
        attribution,
        output,
        context,
        commercial,
        metrics,
        vocabulary,
    )
