"""Identifier validation: check characters against the published vectors, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.iso7064 import mod_11_2, mod_37_36

from clausula.identifiers import (
    PARTY_SCHEMES,
    WORK_SCHEMES,
    id_problem,
    ipi_check_digits,
    iswc_check_digit,
    scheme_of,
)

# --- test vectors, reference/music-data.md §1.3 and the brief ---------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "isni:000000012281955X",
        "isni:0000000121032683",
        "isni:0000000368570205",
        "ipi:00000000297",
        "dpid:PADPIDA2013020802I",
        "party:aria-labs",
        "party:example-label",
        "party:2pac",
        "isrc:USUM71703861",
        "isrc:QZIND2400007",
        "iswc:T0345246801",
        "iswc:T0101974597",
    ],
)
def test_valid_ids(value: str) -> None:
    assert id_problem(value) is None


def test_vector_check_characters() -> None:
    assert iswc_check_digit("034524680") == "1"
    assert ipi_check_digits("000000002") == "97"
    assert mod_11_2.calc_check_digit("000000012281955") == "X"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "isni:0000000121032684",
            "the ISNI 0000000121032684 has a wrong check character; it should end in 3",
        ),
        (
            "isni:0000000122819550",
            "the ISNI 0000000122819550 has a wrong check character; it should end in X",
        ),
        (
            "ipi:00000000298",
            "the IPI name number 00000000298 has wrong check digits; it should end in 97",
        ),
        (
            "dpid:PADPIDA2013020802Q",
            "the DDEX party id PADPIDA2013020802Q has a wrong check character; it should end in I",
        ),
        ("iswc:T0345246802", "the ISWC T0345246802 has a wrong check digit; it should end in 1"),
        ("iswc:T-034.524.680-1", "write the ISWC T-034.524.680-1 in its compact form T0345246801"),
        ("isrc:US-UM7-17-03861", "write the ISRC US-UM7-17-03861 in its compact form USUM71703861"),
        ("isrc:usum71703861", "write the ISRC usum71703861 in its compact form USUM71703861"),
    ],
)
def test_wrong_check_or_form(value: str, message: str) -> None:
    assert id_problem(value) == message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("isni:12345", "has 5 characters; an ISNI has 16"),
        ("isni:000000012281955XX", "has 17 characters"),
        ("isni:0000000X22819550", "may contain only digits"),
        ("ipi:123", "must be 11 digits"),
        ("dpid:PA-DPIDA-2013020802-I", "PADPIDA followed by ten digits"),
        ("party:Aria-Labs", "only lower-case letters, digits and hyphens"),
        ("party:-aria", "must start with a letter or a digit"),
        ("isrc:XXUM71703861", "starts with `XX`, which is neither a country code"),
        ("isrc:USUM7170386", "must be 12 characters"),
        ("iswc:T12345", "must be T followed by ten digits"),
        ("isni:", "has nothing after the `isni:` prefix"),
        ("spotify:123", "`spotify:` is not a known identifier scheme"),
        ("isn:0000000121032683", "did you mean `isni`?"),
        ("0000000121032683", "did you mean `isni:0000000121032683`?"),
    ],
)
def test_problems_are_named(value: str, fragment: str) -> None:
    problem = id_problem(value)
    assert problem is not None and fragment in problem
    assert "\n" not in problem


def test_kinds_restrict_schemes() -> None:
    assert id_problem("isrc:USUM71703861", WORK_SCHEMES) is None
    assert id_problem("isni:0000000121032683", PARTY_SCHEMES) is None
    assert id_problem("isni:0000000121032683", WORK_SCHEMES) == (
        "`isni:0000000121032683` does not identify a work; "
        "a work is identified by `isrc:` or `iswc:`"
    )
    problem = id_problem("iswc:T0345246801", PARTY_SCHEMES)
    assert problem is not None and "does not identify a party" in problem
    problem = id_problem("iswc:T0345246801", frozenset({"isrc"}))
    assert problem == "`iswc:T0345246801` is not accepted here; use `isrc:`"


def test_scheme_of() -> None:
    assert scheme_of("isni:0000000121032683") == "isni"
    assert scheme_of("nope:1") is None
    assert scheme_of("plain") is None


# --- properties --------------------------------------------------------------------------------


def _change_one(body: str, index: int, alphabet: str, data: st.DataObject) -> str:
    index %= len(body)
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != body[index]]))
    return body[:index] + replacement + body[index + 1 :]


@given(st.text(alphabet="0123456789", min_size=15, max_size=15), st.integers(0, 15), st.data())
def test_isni_round_trip_and_single_change(body: str, index: int, data: st.DataObject) -> None:
    isni = body + mod_11_2.calc_check_digit(body)
    assert id_problem(f"isni:{isni}") is None
    # MOD 11-2 detects every single-character substitution.
    changed = _change_one(isni, index, "0123456789" if index % 16 < 15 else "0123456789X", data)
    assert id_problem(f"isni:{changed}") is not None


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 9), st.data())
def test_iswc_round_trip_and_single_change(body: str, index: int, data: st.DataObject) -> None:
    iswc = "T" + body + iswc_check_digit(body)
    assert id_problem(f"iswc:{iswc}") is None
    # Positions 1..10 (digits and check); a weighted mod-10 sum misses a change at the
    # position of weight 5 or an even weight only when the change is 5 or even, so test
    # the check digit and the odd, non-5 weights, which always catch a change.
    position = [1, 3, 7, 9, 10][index % 5]
    digits_only = iswc[1:]
    changed = "T" + _change_one(digits_only, position - 1, "0123456789", data)
    assert id_problem(f"iswc:{changed}") is not None


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 10), st.data())
def test_ipi_round_trip_and_single_change(body: str, index: int, data: st.DataObject) -> None:
    ipi = body + ipi_check_digits(body)
    assert id_problem(f"ipi:{ipi}") is None
    # Mod 101 with weights 10..2 (all below 101, a prime) catches every single change in
    # the body; a changed check pair is caught because it no longer equals the computed one.
    changed = _change_one(ipi, index, "0123456789", data)
    assert id_problem(f"ipi:{changed}") is not None


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.integers(0, 10), st.data())
def test_dpid_round_trip_and_single_change(body: str, index: int, data: st.DataObject) -> None:
    dpid = "PADPIDA" + body
    dpid += mod_37_36.calc_check_digit(dpid)
    assert id_problem(f"dpid:{dpid}") is None
    position = 7 + index  # only the number and the check character
    alphabet = "0123456789" if position < 17 else "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    changed = _change_one(dpid, position, alphabet, data)
    assert id_problem(f"dpid:{changed}") is not None


@given(st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True))
def test_party_slugs(slug: str) -> None:
    assert id_problem(f"party:{slug}") is None
    assert id_problem(f"party:{slug.upper()}X") is not None


@given(st.text(max_size=40))
def test_never_raises(value: str) -> None:
    problem = id_problem(value)
    assert problem is None or isinstance(problem, str)


@given(st.text(alphabet="0123456789X ", min_size=14, max_size=18))
def test_isni_is_valid_exactly_where_stdnum_says_so(body: str) -> None:
    """The ISNI check (the form, then ISO 7064 Mod 11-2 alone) accepts exactly the bodies
    python-stdnum's whole validation accepts written without spaces."""
    from stdnum import isni

    assert (id_problem("isni:" + body) is None) == (" " not in body and isni.is_valid(body))
