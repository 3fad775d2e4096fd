"""Money: exact decimals with a currency, rounded once, split by largest remainder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
)
from functools import cache, lru_cache
from typing import Final, NamedTuple

import pycountry

from .errors import ClausulaError

# ISO 4217 minor units that are not 2. pycountry carries no minor units, so the
# exceptions are listed here (ISO 4217 amendment list, 2024).
_MINOR_UNITS: dict[str, int] = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "CLF": 4,
    "UYW": 4,
}


@cache
def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 alphabetic currency code."""
    return pycountry.currencies.get(alpha_3=code) is not None


@cache
def currency_problem(code: str) -> str | None:
    """None for an ISO 4217 code such as `EUR`; otherwise what is wrong, with the code
    meant where one is close (`EURO` is not a currency code; did you mean `EUR`?)."""
    if len(code) == 3 and code.isascii() and code.isupper() and is_currency(code):
        return None
    shown = code if len(code) <= 20 else code[:20] + "…"
    if len(code) == 3 and is_currency(code.upper()):
        return f"write the currency code `{shown}` in capitals: `{code.upper()}`"
    from .nearest import currency_code  # the one lookup of a meant code, as the checker's

    meant = currency_code(code) if len(code) <= 20 else None
    hint = f"; did you mean `{meant}`?" if meant else ""
    return f"`{shown}` is not an ISO 4217 currency code" + hint


@cache
def minor_digits(currency: str) -> int:
    """How many decimals a currency has: 2 for USD, 0 for JPY, 3 for KWD."""
    return _MINOR_UNITS.get(currency, 2)


@cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of a currency: 0.01 USD, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-minor_digits(currency))


def format_money(amount: Decimal, currency: str) -> str:
    """An amount as every decision prints it: at the currency's minor unit, rounded
    half-up, with its code (`216.00 USD`, `1 JPY`, `0.125 KWD`)."""
    return f"{amount.quantize(minor_unit(currency), ROUND_HALF_UP)} {currency}"


def equals_money(amount: Decimal, currency: str) -> str:
    """The end of a payment's basis: `= 216.00 USD` when the formula gives exactly that,
    `≈ 33.33 USD` when it gives more decimals (a third of 100 USD): never an equality that
    does not hold."""
    rounded = amount.quantize(minor_unit(currency), ROUND_HALF_UP)  # as `format_money`
    return f"{'=' if rounded == amount else '≈'} {rounded} {currency}"


class Money(NamedTuple):
    """An exact amount in one currency. Amounts in different currencies never add up.

    A named tuple: immutable, and cheap to create on the decision path.
    """

    amount: Decimal
    currency: str

    def __add__(self, other: Money) -> Money:  # type: ignore[override]
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, other: object) -> Money:
        raise TypeError("use Money.scale to multiply an amount")

    def scale(self, factor: Decimal) -> Money:
        return Money(self.amount * factor, self.currency)

    def rounded(self) -> Money:
        """Rounded half-up to the currency's minor unit (the one rounding step)."""
        return Money(round_once(self.amount, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


# `Money(amount, currency)` without the named tuple's `__new__`, a Python function: the
# compiled decision path makes an amount for each use and each step of each payment
# (`new_money(Money, (amount, currency))`, a C call).
new_money: Final[Callable[[type[Money], tuple[Decimal, str]], Money]] = tuple.__new__


class CurrencyMismatch(ClausulaError, ValueError):
    """Two amounts in different currencies met in one sum."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine amounts in {left} and {right}")
        self.left, self.right = left, right


def exact_total(amounts: Sequence[Decimal], currency: str) -> Decimal:
    """The exact sum of amounts computed in decimals, before the one rounding.

    An amount such as 0.075 USD × `share` (1/9) has no finite decimal: each ninth is
    computed to 28 significant digits and nine of them add up to 0.07499…97, which would
    round to 0.07 where the formula says 0.075 → 0.08. So the sum is taken without further
    loss and then stated to `STATED_DIGITS` significant digits, which removes what the
    28-digit arithmetic lost and keeps every digit a real amount has.
    """
    return _stated(_sum(amounts), currency)


def round_once(amount: Decimal, currency: str) -> Decimal:
    """The one rounding of money: the exact amount (see `exact_total`) rounded half-up to
    the currency's minor unit. Every path that rounds money calls this."""
    return _stated(amount, currency).quantize(minor_unit(currency), ROUND_HALF_UP)


def payment_key(payee: str, rule: str) -> str:
    """What breaks a tie between payment lines with equal remainders: payee, then rule."""
    return f"{payee}\x00{rule}"


def split_rounded(
    exact: Sequence[Decimal], currency: str, keys: Sequence[str] | None = None
) -> tuple[Decimal, list[Decimal]]:
    """Round a sum once and split it so the rounded parts add up to the rounded total.

    The total is the exact sum of the parts (`exact_total`) rounded once, half-up. Then
    largest remainder: every part is rounded down to the minor unit and the units left over
    go, one each, to the parts with the largest remainders. Ties go to the part with the
    smallest key (the payee and rule), so the order the parts come in never decides who
    gets a unit; without keys, to the earlier part. Every part is within one minor unit
    of its exact share. Payments are never negative.
    """
    if len(exact) == 1 and exact[0]:  # the common case: the sum of one part is that part
        total = round_once(exact[0], currency)
        return total, [total]
    unit = minor_unit(currency)
    total = exact_total(exact, currency).quantize(unit, ROUND_HALF_UP)
    if len(exact) == 1:
        return total, [total]
    stated = [_stated(part, currency) for part in exact]
    floors = [part.quantize(unit, ROUND_FLOOR) for part in stated]
    if floors == stated and _sum(floors) == total:
        return total, floors  # every part is whole units already (fixed fees): no leftover
    leftover = int((total - _sum(floors)) / unit)
    tie = keys if keys is not None else [""] * len(exact)
    order = sorted(range(len(exact)), key=lambda i: (floors[i] - stated[i], tie[i], i))
    parts = list(floors)
    # 0 <= leftover <= len(parts): each part gets at most one unit more than its floor.
    for i in order[:leftover]:
        parts[i] += unit
    return total, parts


# Significant digits an exact amount is stated to before its one rounding: the 28 digits
# of decimal arithmetic less 6 guard digits, which absorb the loss of up to 10^5
# operations in one formula. 22 digits hold 10^18 with four decimals; a larger amount is
# stated to its minor unit and three digits more, with fewer guard digits.
STATED_DIGITS = 22
# Sums of amounts: wide enough that adding 28-digit amounts loses nothing.
_SUM = Context(prec=200, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)


def _sum(amounts: Sequence[Decimal]) -> Decimal:
    total = Decimal(0)
    for amount in amounts:
        total = _SUM.add(total, amount)
    return total


def _stated(amount: Decimal, currency: str) -> Decimal:
    if not amount:
        return amount
    digits = max(STATED_DIGITS, amount.adjusted() - minor_unit(currency).adjusted() + 3)
    return _context(digits).plus(amount)


@lru_cache(maxsize=64)  # bounded: an amount's size is the use's to choose
def _context(digits: int) -> Context:
    return Context(prec=digits, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)
