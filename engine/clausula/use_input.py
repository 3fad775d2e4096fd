"""Reading a proposed use from JSON, with a JSON Pointer to every bad field.

Every way a use comes in — `eval`, `PolicySet.decide`, the service, `filter`, simulations —
ends in `parse_use` (the `Use` model's validation: ids, money, limits); JSON text is read
by `parse_use_json` or `read_uses`, through `json_input.load_json` (depth, number sizes,
duplicate keys, lone surrogates). See `limits` for every limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .errors import ClausulaError
from .json_input import JSONProblems, load_json, pointer_part, printable, read_json
from .limits import MAX_USE_BYTES
from .models import Use
from .plain_use import PlainRequest, plain_request


@dataclass(frozen=True, slots=True)
class UseProblem:
    """One bad field of a use: a JSON Pointer (RFC 6901) and a plain sentence."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


class UseError(ClausulaError, ValueError):
    """A use that cannot be decided: every problem with a pointer to its field."""

    def __init__(self, problems: list[UseProblem], use_id: str | None = None) -> None:
        # What the caller sent is repeated in the messages: make sure it can be printed.
        self.problems = [UseProblem(printable(p.pointer), printable(p.message)) for p in problems]
        use_id = printable(use_id) if use_id is not None else None
        self.use_id = use_id
        problems = self.problems
        head = f"use {use_id}: " if use_id else ""
        super().__init__(head + "; ".join(str(p) for p in problems))


def _pointer(loc: tuple[int | str, ...]) -> str:
    # A bad key of a mapping (`attribution`) is reported at the key: drop pydantic's `[key]`.
    return "".join(pointer_part(part) for part in loc if part != "[key]")


_MESSAGES = {
    "missing": "this field is required",
    "extra_forbidden": "this field is not part of a use",
    "string_unicode": "text with a lone surrogate (not a Unicode character)",
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


def parse_use(obj: Mapping[str, Any] | Use, vocabulary: Any = None) -> Use:
    """Validate a use given as a mapping (parsed JSON). Raises `UseError` with every
    problem; given a policy set's vocabulary (`PolicySet.vocabulary`), its purpose,
    territory, contexts and facts are checked against it in the same answer."""
    read = read_use(obj, vocabulary)
    return read.use() if isinstance(read, PlainRequest) else read


def read_use(obj: Mapping[str, Any] | Use, vocabulary: Any = None) -> Use | PlainRequest:
    """`parse_use`, but a use of the plain shape is given as its `PlainRequest`, whose `Use`
    is made when something reads it (a denial remembered by the plan memo does not)."""
    if type(obj) is dict:  # first, the common case: the ABC checks below cost ~0.5 µs
        plain = plain_request(obj, vocabulary)  # the common shape, without pydantic's walk
        if plain is not None:
            return plain
    elif isinstance(obj, Use):
        return obj
    elif not isinstance(obj, Mapping):
        raise UseError([UseProblem("", "a use must be a JSON object")])
    try:
        return Use.model_validate(
            obj, context={"vocabulary": vocabulary} if vocabulary is not None else None
        )
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


def _json_error(error: JSONProblems) -> UseError:
    return UseError([UseProblem(pointer, message) for pointer, message in error.problems])


def parse_use_json(text: str | bytes, vocabulary: Any = None) -> Use:
    """Validate a use given as JSON text (at most `MAX_USE_BYTES`). Raises `UseError`."""
    size = len(text)
    if isinstance(text, str) and size > MAX_USE_BYTES // 4:  # up to 4 bytes a character
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_USE_BYTES:
        raise UseError(
            [UseProblem("", f"a use is at most {MAX_USE_BYTES:,} bytes of JSON (the limit)")]
        )
    try:
        obj = load_json(text)
    except JSONProblems as error:
        raise _json_error(error) from None
    return parse_use(obj, vocabulary)


def read_uses(text: str, *, lines: bool = True, vocabulary: Any = None) -> Iterator[Use | UseError]:
    """Uses from a JSON object, a JSON array, or JSON Lines; a bad one yields its `UseError`.

    With `lines=False`, the text must be one JSON document (a `.json` file).
    """
    try:
        whole, refused = read_json(text)
    except JSONProblems as error:
        if error.syntax and lines:
            yield from _read_lines(text, vocabulary)
        else:
            yield _json_error(error)
        return
    if refused and not isinstance(whole, list):
        yield _json_error(JSONProblems(refused))
        return
    items = whole if isinstance(whole, list) else [whole]
    for index, item in enumerate(items):
        # The problems the JSON reader found in this use (pointers `/index/…`), if any.
        prefix = f"/{index}"
        own = [(p, m) for p, m in refused if p == prefix or p.startswith(prefix + "/")]
        try:
            if own:
                raise _json_error(JSONProblems([(p[len(prefix) :], m) for p, m in own]))
            yield parse_use(item, vocabulary)
        except UseError as bad:
            if not isinstance(whole, list):
                yield bad
                continue
            yield UseError(
                [UseProblem(f"/{index}{p.pointer}", p.message) for p in bad.problems],
                bad.use_id,
            )


def _read_lines(text: str, vocabulary: Any = None) -> Iterator[Use | UseError]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield parse_use_json(line, vocabulary)
        except UseError as bad:
            yield UseError(
                [UseProblem(f"line {number}: {p.pointer or '/'}", p.message) for p in bad.problems],
                bad.use_id,
            )
