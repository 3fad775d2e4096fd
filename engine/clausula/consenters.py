"""Who may give a consent a rule asks for: the kinds a `given by …` names, named once.

A statute says whose consent counts: Tenn. Code Ann. §47-25-1105(a) and Cal. Civ. Code
§3344(a) the person's, "or, in the case of a minor, the prior consent of [the] parent or
legal guardian"; the NO FAKES Act a "right holder", which includes a licensee that has
acquired the right to authorise (§2(a)(6)(B)); the performance-contract statutes also a
union under a collective bargaining agreement. Without `given by`, the engine's default
(`DEFAULT`) keeps what it always did.
"""

from __future__ import annotations

from typing import Final

PERSON: Final = "person"  # the individual, of age (a grant signed as a minor does not count)
PERSON_EVEN_MINOR: Final = "person_even_minor"  # the individual, also while a minor
GUARDIAN: Final = "guardian"  # a guardian (data: `guardian_of`), while the artist is a minor
ESTATE: Final = "estate"  # the estate (data: `estate_of`), after death only
# data: `bargaining_representative_of`
BARGAINING_REPRESENTATIVE: Final = "bargaining_representative"
AUTHORISED_LICENSEE: Final = "authorised_licensee"  # data: `may_authorise_for`

#: The words of each kind in a clause file, as the grammar spells them.
WORDS: Final[dict[str, str]] = {
    PERSON: "the person",
    PERSON_EVEN_MINOR: "the person even while a minor",
    GUARDIAN: "guardian while a minor",
    ESTATE: "estate after death",
    BARGAINING_REPRESENTATIVE: "collective bargaining representative",
    AUTHORISED_LICENSEE: "licensee holding the right to authorise",
}

#: Without `given by`: the artist (also while a minor), their guardian while a minor, their
#: estate after death.
DEFAULT: Final = frozenset({PERSON_EVEN_MINOR, GUARDIAN, ESTATE})


def describe(kinds: frozenset[str] | tuple[str, ...]) -> str:
    """`the person or guardian while a minor`, in the grammar's order."""
    return " or ".join(WORDS[k] for k in WORDS if k in kinds)
