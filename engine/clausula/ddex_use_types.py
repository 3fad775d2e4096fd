"""The DDEX use types that concern AI, mapped to Clausula's purposes in both directions.

DDEX's Allowed Value Sets (`UseType`, its ERN and RDR subsets) name three uses that
concern AI: `UseForGenerativeAI`, `UseForNonGenerativeAI` and `UseForDataMining`. Our
purposes (training, fine_tuning, generation, voice_replica, style_imitation) are all
uses of a *generative* model, so each of them falls under `UseForGenerativeAI`, and a deal
granting `UseForGenerativeAI` permits all of them. That value is broader than any one
purpose, so a decision on one purpose is expressed as a DDEX `UserDefined` use type in our
namespace (`<UseType Namespace="clausula" UserDefinedValue="voice_replica">UserDefined
</UseType>`), which reads back as exactly that purpose. The table is in docs/ddex.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Outcome

USE_FOR_GENERATIVE_AI = "UseForGenerativeAI"
USE_FOR_NON_GENERATIVE_AI = "UseForNonGenerativeAI"
USE_FOR_DATA_MINING = "UseForDataMining"
USER_DEFINED = "UserDefined"
AI_USE_TYPES = frozenset({USE_FOR_GENERATIVE_AI, USE_FOR_NON_GENERATIVE_AI, USE_FOR_DATA_MINING})
"""The DDEX use types (Allowed Value Sets, `UseType`) that concern AI."""

NAMESPACE = "clausula"
"""The `Namespace` of our `UserDefined` use types: one per purpose, e.g. `voice_replica`."""

GENERATIVE_PURPOSES = ("training", "fine_tuning", "generation", "voice_replica", "style_imitation")
"""The purposes of the standard vocabulary that are uses of a generative model."""

_UNMAPPED = {
    USE_FOR_NON_GENERATIVE_AI: "a non-generative model (classification, recommendation, "
    "identification) is none of Clausula's purposes, which are all generative uses",
    USE_FOR_DATA_MINING: "text and data mining as such is none of Clausula's purposes; "
    "training a generative model is the narrower UseForGenerativeAI",
}


@dataclass(frozen=True)
class UseType:
    """A DDEX use type: an Allowed Value, or `UserDefined` with a namespace and value."""

    value: str
    namespace: str | None = None
    user_defined_value: str | None = None

    def to_json(self) -> dict[str, str]:
        """`{"UseType": …}` with `Namespace` and `UserDefinedValue` when user-defined."""
        out = {"UseType": self.value}
        if self.namespace is not None:
            out["Namespace"] = self.namespace
        if self.user_defined_value is not None:
            out["UserDefinedValue"] = self.user_defined_value
        return out

    def to_xml(self) -> str:
        """The `<UseType>` element of a DDEX `DealTerms`."""
        from xml.sax.saxutils import quoteattr

        attributes = ""
        if self.namespace is not None:
            attributes += f" Namespace={quoteattr(self.namespace)}"
        if self.user_defined_value is not None:
            attributes += f" UserDefinedValue={quoteattr(self.user_defined_value)}"
        return f"<UseType{attributes}>{self.value}</UseType>"


def use_types_of(purpose: str) -> tuple[UseType, ...]:
    """The DDEX use types that permit exactly this purpose: our `UserDefined` value naming
    it. (`UseForGenerativeAI` would permit every generative purpose, more than a decision on
    one purpose permits; `category_of` gives it.) Empty for a purpose that is no AI use
    DDEX names (e.g. `sampling`)."""
    if purpose not in GENERATIVE_PURPOSES:
        return ()
    return (UseType(USER_DEFINED, NAMESPACE, purpose),)


def category_of(purpose: str) -> str | None:
    """The DDEX Allowed Value a use of this purpose falls under (`UseForGenerativeAI`), or
    None for a purpose that is no AI use DDEX names."""
    return USE_FOR_GENERATIVE_AI if purpose in GENERATIVE_PURPOSES else None


@dataclass(frozen=True)
class PurposeMapping:
    """The purposes some DDEX use types permit, and the use types that permit none."""

    purposes: tuple[str, ...]
    unmapped: tuple[tuple[UseType, str], ...]


def purposes_of(use_types: Iterable[UseType]) -> PurposeMapping:
    """The purposes that DDEX use types permit, in the vocabulary's order, each once.

    `UseForGenerativeAI` permits every generative purpose; our `UserDefined` value permits
    its one purpose. The other AI use types, other namespaces' values and non-AI use types
    (streams, downloads) permit none, each with a sentence saying why.
    """
    found: set[str] = set()
    unmapped: list[tuple[UseType, str]] = []
    for use_type in use_types:
        if use_type.value == USE_FOR_GENERATIVE_AI:
            found.update(GENERATIVE_PURPOSES)
        elif use_type.value == USER_DEFINED and use_type.namespace == NAMESPACE:
            if use_type.user_defined_value in GENERATIVE_PURPOSES:
                found.add(use_type.user_defined_value)
            else:
                unmapped.append((use_type, f"`{use_type.user_defined_value}` is not a purpose"))
        elif use_type.value in _UNMAPPED:
            unmapped.append((use_type, _UNMAPPED[use_type.value]))
        elif use_type.value == USER_DEFINED:
            unmapped.append((use_type, f"a use type of the namespace `{use_type.namespace}`"))
        else:
            unmapped.append((use_type, "not a use of music by AI"))
    return PurposeMapping(tuple(p for p in GENERATIVE_PURPOSES if p in found), tuple(unmapped))


def permitted_use_types(outcome: Outcome, purpose: str) -> tuple[UseType, ...]:
    """The DDEX use types a decision permits: those of its use's purpose when the decision
    allows the use (`allow`, or `pay`: permitted against payment), none when it denies."""
    return () if outcome == "deny" else use_types_of(purpose)
