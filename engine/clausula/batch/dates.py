"""The values of the expressions the clauses compare the use's date with, over the data."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Collection, Iterable, Mapping
from types import SimpleNamespace
from typing import Any

from .. import ast
from ..dates import DateOutOfRange, shift
from ..errors import ClausulaError
from .analysis import _COLLECTION_NAMES, _DATED


class _NotConstant(ClausulaError):
    """An expression compared with the use's date whose values cannot all be listed."""


class _Unknown(ClausulaError):
    """A field the data leaves empty: the comparison is unknown, so it is never made."""


_Duration = tuple[int, int]  # months, days (as the compiler's `Duration`)


def _moved(day: dt.date, duration: _Duration, sign: int = 1) -> dt.date:
    """`day` plus (or minus) a duration, months first, as the compiler moves dates."""
    months, days = duration
    return shift(day, months, days, sign)


def _constant(
    node: ast.Expr,
    entity: Any,
    definitions: Mapping[str, ast.Expr],
    parameters: Mapping[str, Any],
) -> Any:
    """The value of a date expression for one artist or work of the data (`entity`):
    a date, a duration (months, days) or a count."""
    if isinstance(node, ast.DateLit):
        return node.value
    if isinstance(node, ast.DurationLit):
        if node.unit == "days":
            return (0, node.count)
        return (node.count * (12 if node.unit == "years" else 1), 0)
    if isinstance(node, ast.NumberLit) and "." not in node.text:
        return int(node.value)
    if isinstance(node, ast.Path) and node.parts[0] in _COLLECTION_NAMES:
        if entity is None or node.parts[1] in _DATED:
            raise _NotConstant
        value = getattr(entity, node.parts[1], None)
        if value is None:
            raise _Unknown
        return value
    if isinstance(node, ast.Name):
        if node.name in definitions:
            return _constant(definitions[node.name], entity, definitions, parameters)
        if node.name in parameters:
            value = parameters[node.name]
            if hasattr(value, "months") and hasattr(value, "days"):
                return (value.months, value.days)
            if isinstance(value, dt.date | int) and not isinstance(value, bool):
                return value
        raise _NotConstant
    if isinstance(node, ast.Binary):
        left = _constant(node.left, entity, definitions, parameters)
        right = _constant(node.right, entity, definitions, parameters)
        if node.op in ("+", "-"):
            sign = 1 if node.op == "+" else -1
            if isinstance(left, dt.date) and isinstance(right, tuple):
                try:
                    return _moved(left, right, sign)
                except DateOutOfRange:  # decided one use at a time, which says why
                    raise _NotConstant from None
            if isinstance(left, tuple) and isinstance(right, tuple):
                return (left[0] + sign * right[0], left[1] + sign * right[1])
        if node.op == "*":
            if isinstance(left, tuple) and isinstance(right, int):
                return (left[0] * right, left[1] * right)
            if isinstance(left, int) and isinstance(right, tuple):
                return (right[0] * left, right[1] * left)
    raise _NotConstant


def _entity_paths(
    node: Any, definitions: Mapping[str, ast.Expr], seen: set[str]
) -> set[tuple[str, str]]:
    """The (variable, field) pairs an expression reads of an artist or a work in hand
    (`artist.death_date`: ("artist", "death_date"); a bare variable: field "")."""
    if isinstance(node, ast.Path):
        if node.parts[0] not in _COLLECTION_NAMES:
            return set()
        return {(node.parts[0], node.parts[1] if len(node.parts) > 1 else "")}
    if isinstance(node, ast.Name):
        if node.name in definitions and node.name not in seen:
            seen.add(node.name)
            return _entity_paths(definitions[node.name], definitions, seen)
        return set()
    if isinstance(node, ast.Binary):
        return _entity_paths(node.left, definitions, seen) | _entity_paths(
            node.right, definitions, seen
        )
    return set()


def _distinct_readings(entities: Iterable[Any], fields: set[str]) -> Iterable[Any]:
    """Stand-ins for `entities` holding only the `fields` an expression reads, one per
    distinct combination of their values: a million works share a few thousand release
    dates, and the expression's value depends on nothing else of them. The entities as
    they are when a value cannot be told apart by equality."""
    names = sorted(fields)
    if not isinstance(entities, Collection):  # gone over twice when a field is missing
        entities = list(entities)
    try:
        seen = _readings(entities, names)
    except TypeError:  # a value that cannot be a key
        return entities
    return [SimpleNamespace(**dict(zip(names, values, strict=True))) for values in seen]


def _readings(entities: Collection[Any], names: list[str]) -> set[tuple[Any, ...]]:
    """Each distinct combination of the entities' values of `names` (a missing field reads
    as None)."""
    if names:
        try:
            # In C: a million works read without a Python step each. A value, not a
            # tuple, when there is one name (whatever the stubs say of `attrgetter`).
            found: set[Any] = set(map(operator.attrgetter(*names), entities))
            return {(v,) for v in found} if len(names) == 1 else found
        except AttributeError:  # an entity without one of the fields
            pass
    return {tuple(getattr(e, f, None) for f in names) for e in entities}


def _date_values(
    node: ast.Expr,
    definitions: Mapping[str, ast.Expr],
    parameters: Mapping[str, Any],
    catalogue: Any,
) -> set[dt.date]:
    """Every value `node` (compared with the use's date) can take, over the data."""
    paths = _entity_paths(node, definitions, set())
    variables = {variable for variable, _ in paths}
    if len(variables) > 1:
        raise _NotConstant
    entities: Iterable[Any] = [None]
    if variables:
        entities = catalogue.works.values() if variables == {"work"} else catalogue.parties.values()
        entities = _distinct_readings(entities, {field for _, field in paths if field})
    values: set[dt.date] = set()
    for entity in entities:
        try:
            value = _constant(node, entity, definitions, parameters)
        except _Unknown:
            continue
        if not isinstance(value, dt.date):
            raise _NotConstant
        values.add(value)
    return values
