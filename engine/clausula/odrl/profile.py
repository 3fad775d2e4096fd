"""The Clausula ODRL profile: the terms our AI uses and our extensions are named by.

Documented in docs/odrl.md. The profile IRI is an identifier, not a document to fetch.
"""

from __future__ import annotations

from typing import Final

from ..errors import ClausulaError

ODRL_CONTEXT: Final = "http://www.w3.org/ns/odrl.jsonld"
PROFILE: Final = "https://clausula.dev/ns/odrl"
NAMESPACE: Final = "https://clausula.dev/ns/odrl#"
PREFIX: Final = "cl"
CONTEXT: Final[list[object]] = [ODRL_CONTEXT, {PREFIX: NAMESPACE}]

# TDMRep's ODRL profile (W3C TDMRep final report, "Expressing a TDM Policy").
TDMREP_NAMESPACE: Final = "http://www.w3.org/ns/tdmrep#"
TDM_MINE: Final = "tdm:mine"
# Text and data mining is our purposes training and fine_tuning (as the DSM pack's [A2]).
MINING_PURPOSES: Final = ("training", "fine_tuning")

# The AI uses of the standard vocabulary as ODRL actions of the profile (`cl:training` …).
# A purpose a vocabulary declares is the action `cl:NAME`.
AI_ACTIONS: Final = (
    "training",
    "fine_tuning",
    "generation",
    "voice_replica",
    "style_imitation",
    "sampling",
)

# ODRL's top action: "to use the Asset", every purpose.
ODRL_USE: Final = "use"

# Currencies as ODRL's own examples write them (DBpedia resources), and ISO 4217 URNs.
CURRENCY_IRIS: Final[dict[str, str]] = {
    "EUR": "http://dbpedia.org/resource/Euro",
    "USD": "http://dbpedia.org/resource/United_States_dollar",
    "GBP": "http://dbpedia.org/resource/Pound_sterling",
    "JPY": "http://dbpedia.org/resource/Japanese_yen",
    "CHF": "http://dbpedia.org/resource/Swiss_franc",
}
ISO_4217_URN: Final = "urn:iso:std:iso:4217:"

# Targets: a catalogue, every work.
CATALOGUE_OF: Final = "urn:clausula:catalogue-of:"
ALL_WORKS: Final = "urn:clausula:all-works"
CONTRACT_URN: Final = "urn:clausula:contract:"

# Limits on what an import reads (documented in docs/odrl.md).
MAX_POLICY_BYTES: Final = 1_000_000
MAX_RULES: Final = 1_000


def term(name: str) -> str:
    """The compact IRI of a profile term: `cl:name`."""
    return f"{PREFIX}:{name}"


class OdrlError(ClausulaError):
    """An ODRL file that cannot be imported: (JSON Pointer, plain sentence) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p or '/'}: {m}" for p, m in problems))
