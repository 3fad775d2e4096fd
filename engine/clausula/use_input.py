"""Reading a proposed use from JSON, with a JSON Pointer to every bad field."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .models import Use


@dataclass(frozen=True, slots=True)
class UseProblem:
    """One bad field of a use: a JSON Pointer (RFC 6901) and a plain sentence."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


class UseError(ValueError):
    """A use that cannot be decided: every problem with a pointer to its field."""

    def __init__(self, problems: list[UseProblem], use_id: str | None = None) -> None:
        self.problems = problems
        self.use_id = use_id
        head = f"use {use_id}: " if use_id else ""
        super().__init__(head + "; ".join(str(p) for p in problems))


def _pointer(loc: tuple[int | str, ...]) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "/" + "/".join(parts) if parts else ""


_MESSAGES = {
    "missing": "this field is required",
    "extra_forbidden": "this field is not part of a use",
}


def _suggest_field(loc: tuple[int | str, ...]) -> str:
    """`; did you mean `territory`?` for a misspelt field, from the model at that place."""
    from pydantic import BaseModel

    from .diagnostics import did_you_mean

    model: type[BaseModel] = Use
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    hint = did_you_mean(str(loc[-1]), model.model_fields)
    return f"; {hint}" if hint else ""


def parse_use(obj: Mapping[str, Any] | Use) -> Use:
    """Validate a use given as a mapping (parsed JSON). Raises `UseError`."""
    if isinstance(obj, Use):
        return obj
    if not isinstance(obj, Mapping):
        raise UseError([UseProblem("", "a use must be a JSON object")])
    try:
        return Use.model_validate(obj)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            message = _MESSAGES.get(item["type"], item["msg"])
            if item["type"] == "extra_forbidden":
                message += _suggest_field(tuple(item["loc"]))
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            problems.append(UseProblem(_pointer(tuple(item["loc"])), message))
        use_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        raise UseError(problems, use_id) from None


def parse_use_json(text: str) -> Use:
    """Validate a use given as JSON text. Raises `UseError`."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as error:
        raise UseError(
            [
                UseProblem(
                    "", f"not valid JSON at line {error.lineno} column {error.colno}: {error.msg}"
                )
            ]
        ) from None
    return parse_use(obj)


def read_uses(text: str) -> Iterator[Use | UseError]:
    """Uses from a JSON object, a JSON array, or JSON Lines; a bad one yields its `UseError`."""
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
        lines = True
    else:
        lines = False
    if not lines:
        items = whole if isinstance(whole, list) else [whole]
        for index, item in enumerate(items):
            try:
                yield parse_use(item)
            except UseError as bad:
                if not isinstance(whole, list):
                    yield bad
                    continue
                yield UseError(
                    [UseProblem(f"/{index}{p.pointer}", p.message) for p in bad.problems],
                    bad.use_id,
                )
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield parse_use_json(line)
        except UseError as bad:
            yield UseError(
                [UseProblem(f"line {number}: {p.pointer or '/'}", p.message) for p in bad.problems],
                bad.use_id,
            )
