"""The static types of the language and the fields a policy may read from a use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Type:
    """A static type. `currency` is known for money when it is fixed by a literal."""

    kind: str
    currency: str | None = None
    element: str | None = None  # for kind == "set": the kind of the elements

    def __str__(self) -> str:
        return (
            _NAMES.get(self.kind, self.kind) if self.kind != "set" else f"a set of {self.element}s"
        )

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC


NUMERIC = frozenset({"number", "count", "percentage"})

_NAMES = {
    "boolean": "true or false",
    "money": "money",
    "percentage": "a percentage",
    "number": "a number",
    "count": "a count",
    "date": "a date",
    "duration": "a duration",
    "territory": "a territory",
    "purpose": "a purpose",
    "context": "a context",
    "party": "a party",
    "work": "a work",
    "string": "a string",
    "error": "an error",
}

BOOLEAN = Type("boolean")
MONEY = Type("money")
PERCENTAGE = Type("percentage")
NUMBER = Type("number")
COUNT = Type("count")
DATE = Type("date")
DURATION = Type("duration")
TERRITORY = Type("territory")
PURPOSE = Type("purpose")
CONTEXT = Type("context")
PARTY = Type("party")
WORK = Type("work")
STRING = Type("string")
ERROR = Type("error")


def set_of(kind: str) -> Type:
    return Type("set", element=kind)


def money(currency: str | None) -> Type:
    return Type("money", currency=currency)


# What a fact declaration may name as its type.
FACT_TYPES: dict[str, Type] = {
    "boolean": BOOLEAN,
    "date": DATE,
    "count": COUNT,
    "number": NUMBER,
    "percentage": PERCENTAGE,
    "money": MONEY,
    "string": STRING,
    "territory": TERRITORY,
    "party": PARTY,
}

OUTPUT_FLAGS = ("synthetic_audio", "digital_replica", "public", "names_artist", "labelled_ai")

# The fields of a use a policy can read, with their types.
USE_FIELDS: dict[str, Type] = {
    "use.id": STRING,
    "use.date": DATE,
    "use.licensee": PARTY,
    "use.purpose": PURPOSE,
    "use.territory": TERRITORY,
    "use.works": set_of("work"),
    "use.artists": set_of("party"),
    "use.attribution": set_of("party"),
    # Everyone the use touches: the performers of its works, the artists it names and the
    # artists its output is attributed to. Opt-in clauses are written against it.
    "use.touched": set_of("party"),
    "use.context": set_of("context"),
    "use.commercial": BOOLEAN,
    "use.revenue": MONEY,
    "use.metrics.revenue": MONEY,
    "use.generations": COUNT,
    "use.metrics.generations": COUNT,
    "use.streams": COUNT,
    "use.metrics.streams": COUNT,
    **{f"use.output.{flag}": BOOLEAN for flag in OUTPUT_FLAGS},
}

# `0.003 USD per stream`: the unit names a count of the use.
PER_UNITS: dict[str, str] = {
    "generation": "use.generations",
    "generations": "use.generations",
    "stream": "use.streams",
    "streams": "use.streams",
    "work": "use.works",
    "works": "use.works",
    "artist": "use.artists",
    "artists": "use.artists",
}

FUNCTIONS = ("min", "max", "count")

# What a policy can read of the artist (or performer) in hand, in `where`, in the amount of
# `pay … to each …`, and in `any(…)`/`all(…)`. Read from the parties data file.
PARTY_FIELDS: dict[str, Type] = {
    "id": PARTY,
    "birth_date": DATE,
    "death_date": DATE,
    "deceased": BOOLEAN,
    "age": COUNT,  # whole years on the use's date
    "minor": BOOLEAN,  # under 18 on the use's date
    "residence": TERRITORY,
    "last_exploited": DATE,
    "registered_renewals": COUNT,
}

# What a policy can read of the work in hand (`each work in use.works`).
WORK_FIELDS: dict[str, Type] = {
    "id": WORK,
    "rights_holder": PARTY,
    "release_date": DATE,
    "tdm_reserved": BOOLEAN,
}

# The collections a policy may go over, and the one in hand's name and kind.
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "artist": ("use.touched", "use.artists", "use.attribution"),
    "performer": ("use.works",),
    "work": ("use.works",),
}


def fields_of(variable: str) -> dict[str, Type]:
    return WORK_FIELDS if variable == "work" else PARTY_FIELDS
