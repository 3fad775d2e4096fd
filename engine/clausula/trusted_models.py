"""Models the engine built and checked itself, made without validating them again
(`trusted`).

A module of its own, apart from the models' classes, so that the build compiles it with
the decision path (hatch_build.py): every reason, payment and decision is made here.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

from pydantic import BaseModel

_Model = TypeVar("_Model", bound=BaseModel)

# `object.__new__` and the slots of every pydantic model, set directly. `model.__new__`
# would walk a model's long class hierarchy to find the same function: no model of the
# package defines `__new__` (tests/test_decide.py checks it).
_new_record: Final = object.__new__
_set_values: Final = BaseModel.__dict__["__dict__"].__set__
_set_fields_set: Final = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra: Final = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private: Final = BaseModel.__dict__["__pydantic_private__"].__set__


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
