"""Identifiers of parties and works, written with their scheme: `isni:0000000121032683`.

Parties: `isni:` (ISO 27729), `ipi:` (CISAC IPI Name Number), `dpid:` (DDEX Party ID),
`party:` (a local slug). Works: `isrc:` (recordings, ISO 3901) and `iswc:` (compositions,
ISO 15707). Every id is stored in its compact form so that equal ids compare equal as
strings; `id_problem` says in one plain sentence what is wrong with an id, or returns None.

ISRC and ISNI checks come from python-stdnum; it has no ISWC, IPI or DPID, so the check
characters of those are computed here (algorithms in reference/music-data.md §1.2).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import isrc
from stdnum.exceptions import InvalidComponent, ValidationError
from stdnum.iso7064 import mod_11_2, mod_37_36

PARTY_SCHEMES = frozenset({"isni", "ipi", "dpid", "party"})
WORK_SCHEMES = frozenset({"isrc", "iswc"})
ALL_SCHEMES = PARTY_SCHEMES | WORK_SCHEMES

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_DIGITS = re.compile(r"[0-9]+")
_ISNI_LAST = frozenset("0123456789X")
_DPID = re.compile(r"PADPIDA[0-9]{10}[0-9A-Z]")
_ISWC = re.compile(r"T[0-9]{10}")


def iswc_check_digit(digits: str) -> str:
    """The ISWC check digit for the nine digits after `T` (weight 1 for `T`, then 1..9)."""
    total = 1 + sum(weight * int(d) for weight, d in enumerate(digits, start=1))
    return str((10 - total % 10) % 10)


def ipi_check_digits(digits: str) -> str:
    """The two IPI Name Number check digits for its first nine digits (mod 101)."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 101
    return "00" if total == 0 else f"{(101 - total) % 100:02d}"


def _isni_problem(body: str) -> str | None:
    if len(body) != 16:
        return (
            f"the ISNI {body} has {len(body)} characters; an ISNI has 16 "
            "(15 digits and a check character), written without spaces"
        )
    if not _DIGITS.fullmatch(body[:15]) or body[15] not in _ISNI_LAST:
        return f"the ISNI {body} may contain only digits, with X allowed as the last character"
    # The form is checked above: only the ISO 7064 Mod 11-2 check is left (what
    # `stdnum.isni.is_valid` ends with, after cleaning and checking the form again).
    if not mod_11_2.is_valid(body):
        expected = mod_11_2.calc_check_digit(body[:15])
        return f"the ISNI {body} has a wrong check character; it should end in {expected}"
    return None


def isni_is_valid(body: str) -> bool:
    """Whether `body` (after `isni:`) is a valid ISNI: 16 characters, 15 digits and a
    check character that ISO 7064 Mod 11-2 accepts."""
    return _isni_problem(body) is None


def _ipi_problem(body: str) -> str | None:
    if not _DIGITS.fullmatch(body) or len(body) != 11:
        return (
            f"the IPI name number {body} must be 11 digits "
            "(nine digits and two check digits, with leading zeros)"
        )
    expected = ipi_check_digits(body[:9])
    if body[9:] != expected:
        return f"the IPI name number {body} has wrong check digits; it should end in {expected}"
    return None


def _dpid_problem(body: str) -> str | None:
    if not _DPID.fullmatch(body):
        return (
            f"the DDEX party id {body} must be PADPIDA followed by ten digits and a check "
            "character, written without hyphens"
        )
    if not mod_37_36.is_valid(body):
        expected = mod_37_36.calc_check_digit(body[:-1])
        return f"the DDEX party id {body} has a wrong check character; it should end in {expected}"
    return None


def _party_problem(body: str) -> str | None:
    if not _SLUG.fullmatch(body):
        return (
            f"the local party id `{body}` may contain only lower-case letters, digits and "
            "hyphens, and must start with a letter or a digit"
        )
    return None


def _isrc_problem(body: str) -> str | None:
    compact: str = isrc.compact(body)
    if compact != body:
        return f"write the ISRC {body} in its compact form {compact}"
    try:
        isrc.validate(body)
    except InvalidComponent:
        return (
            f"the ISRC {body} starts with `{body[:2]}`, which is neither a country code nor "
            "a prefix allocated by the ISRC agency"
        )
    except ValidationError:
        return (
            f"the ISRC {body} must be 12 characters: a two-letter country prefix, a "
            "three-character registrant code, two digits for the year and five digits"
        )
    return None


def _iswc_problem(body: str) -> str | None:
    compact = re.sub(r"[-.\s]", "", body).upper()
    if compact != body and _ISWC.fullmatch(compact):
        return f"write the ISWC {body} in its compact form {compact}"
    if not _ISWC.fullmatch(body):
        return f"the ISWC {body} must be T followed by ten digits, such as T0345246801"
    expected = iswc_check_digit(body[1:10])
    if body[10] != expected:
        return f"the ISWC {body} has a wrong check digit; it should end in {expected}"
    return None


_CHECKS: dict[str, Callable[[str], str | None]] = {
    "isni": _isni_problem,
    "ipi": _ipi_problem,
    "dpid": _dpid_problem,
    "party": _party_problem,
    "isrc": _isrc_problem,
    "iswc": _iswc_problem,
}

_KIND_NAMES = {WORK_SCHEMES: "a work", PARTY_SCHEMES: "a party"}


def _schemes(kinds: frozenset[str]) -> str:
    names = [f"`{k}:`" for k in sorted(kinds)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def scheme_of(value: str) -> str | None:
    """The scheme of a prefixed id (`isni` for `isni:…`), or None when it has no known prefix."""
    scheme, sep, _ = value.partition(":")
    return scheme if sep and scheme in ALL_SCHEMES else None


def id_problem(value: str, kinds: frozenset[str] | None = None) -> str | None:
    """None if `value` is a valid prefixed id; otherwise one plain sentence saying what is wrong.

    `kinds` limits the acceptable schemes, e.g. `WORK_SCHEMES` where a work is expected.
    """
    allowed = ALL_SCHEMES if kinds is None else kinds
    scheme, sep, body = value.partition(":")
    if not sep:
        # Suggest the one scheme under which the bare value would be valid, if there is one.
        fits = [s for s in sorted(allowed) if s != "party" and _CHECKS[s](value) is None]
        hint = f"; did you mean `{fits[0]}:{value}`?" if len(fits) == 1 else ""
        return f"`{value}` has no scheme prefix such as {_schemes(allowed)}{hint}"
    if scheme not in ALL_SCHEMES:
        from .diagnostics import did_you_mean

        suggestion = did_you_mean(scheme, allowed)
        return f"`{scheme}:` is not a known identifier scheme; use {_schemes(allowed)}" + (
            f" ({suggestion})" if suggestion else ""
        )
    if scheme not in allowed:
        wanted = _KIND_NAMES.get(allowed)
        if wanted is not None:
            return (
                f"`{value}` does not identify {wanted}; {wanted} is identified by "
                f"{_schemes(allowed)}"
            )
        return f"`{value}` is not accepted here; use {_schemes(allowed)}"
    if not body:
        return f"`{value}` has nothing after the `{scheme}:` prefix"
    return _CHECKS[scheme](body)
