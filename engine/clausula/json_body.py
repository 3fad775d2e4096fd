"""Reading a JSON request body within explicit limits, with a JSON Pointer to what is wrong.

The HTTP boundary of the service: bytes in, a JSON value (or `BodyError`) out, before a use
is validated. Whatever a client sends, reading it never raises anything but `BodyError`:
not `RecursionError` on deep nesting, not `ValueError` on a 5,000-digit integer, and a lone
surrogate (`"\\ud800"`, which Python accepts but no UTF-8 answer can carry) is refused here
rather than when the answer is written. What a use may contain (amounts, counts, duplicate
keys) is the use reader's business (`clausula.use_input`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_JSON_DEPTH = 64
"""Most levels of arrays and objects in one body (a use needs 3, a batch of uses 4)."""

MAX_NUMBER_CHARS = 64
"""Most characters in one JSON number literal (an amount is a string; a count is small)."""

# A lone surrogate can only come from an escape (the body is decoded as strict UTF-8):
# look for one before walking the strings at all.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class BodyProblem:
    """One place of the body that cannot be read: a JSON Pointer and a plain sentence."""

    pointer: str
    message: str


class BodyError(ValueError):
    """The body is not JSON, or goes beyond a limit: every problem with its place."""

    def __init__(self, summary: str, problems: list[BodyProblem]) -> None:
        super().__init__(summary)
        self.summary = summary
        self.problems = problems


class _Refused:
    """A number the reader would not convert (too long, or not a JSON number at all)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join("/" + _escape(p) for p in path)


def read_json(body: bytes | str) -> Any:
    """The JSON value of `body` (strict UTF-8), or `BodyError` with the place of each
    problem: malformed JSON, nesting deeper than `MAX_JSON_DEPTH`, a number longer than
    `MAX_NUMBER_CHARS`, `NaN`/`Infinity`, a lone surrogate in a string or a key."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BodyError(
                "the body is not UTF-8", [BodyProblem("", f"not UTF-8 at byte {error.start}")]
            ) from None
        escapes = _SURROGATE_ESCAPE.search(body) is not None
    else:
        text = body
        escapes = _SURROGATE.search(text) is not None or "\\u" in text
    refused: list[_Refused] = []

    def number(kind: type[int] | type[float]) -> Any:
        def convert(literal: str) -> Any:
            if len(literal) <= MAX_NUMBER_CHARS:
                return kind(literal)
            refused.append(_Refused(literal))
            return refused[-1]

        return convert

    def constant(literal: str) -> Any:  # NaN, Infinity, -Infinity: not JSON
        refused.append(_Refused(literal))
        return refused[-1]

    try:
        value = json.loads(
            text, parse_int=number(int), parse_float=number(float), parse_constant=constant
        )
    except json.JSONDecodeError as error:
        raise BodyError(
            "the body is not valid JSON",
            [BodyProblem("", f"line {error.lineno} column {error.colno}: {error.msg}")],
        ) from None
    except RecursionError:
        raise BodyError(
            "the body is nested too deeply",
            [BodyProblem("", f"nested deeper than the limit of {MAX_JSON_DEPTH} levels")],
        ) from None
    problems = _problems(value, strings=escapes, numbers=bool(refused))
    if problems:
        raise BodyError("the body goes beyond what the service reads", problems)
    return value


def _problems(value: Any, *, strings: bool, numbers: bool) -> list[BodyProblem]:
    """The places beyond a limit, at most 20 (an explicit stack: no recursion).

    Only containers are visited, and strings or numbers only when the text has an escape
    that may be a surrogate or a number was refused: a plain use costs one pass over its
    objects and arrays."""
    leaves = (str, _Refused) if strings else (_Refused,) if numbers else ()
    found: list[BodyProblem] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack and len(found) < 20:
        node, path = stack.pop()
        if isinstance(node, dict | list):
            if len(path) >= MAX_JSON_DEPTH:
                found.append(
                    BodyProblem(
                        _pointer(path), f"nested deeper than the limit of {MAX_JSON_DEPTH} levels"
                    )
                )
                continue
            pairs = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            for key, item in reversed(pairs):
                if strings and isinstance(key, str) and _SURROGATE.search(key):
                    found.append(
                        BodyProblem(
                            _pointer((*path, key.encode("utf-8", "backslashreplace").decode())),
                            "this key contains a lone surrogate (\\ud800-\\udfff), not text",
                        )
                    )
                    continue
                if isinstance(item, (dict, list, *leaves)):
                    stack.append((item, (*path, key)))
        elif isinstance(node, _Refused):
            if len(node.text) > MAX_NUMBER_CHARS:
                message = (
                    f"a number of {len(node.text)} characters; the limit is {MAX_NUMBER_CHARS}"
                )
            else:
                message = f"{node.text} is not a JSON number"
            found.append(BodyProblem(_pointer(path), message))
        elif strings and isinstance(node, str) and _SURROGATE.search(node):
            found.append(
                BodyProblem(_pointer(path), "this text contains a lone surrogate (\\ud800-\\udfff)")
            )
    return found
