"""JSON text from a caller, read within the limits: never a crash, every problem located.

`json.loads` alone raises `RecursionError` on a 2 KB body of `[[[[…`, refuses integers
over 4,300 digits with a bare `ValueError`, accepts `NaN` and `Infinity`, keeps the last
of two equal keys, and hands back lone surrogates (`"\\ud800"`) that no UTF-8 writer can
print. `load_json` parses with hooks that mark what it must refuse, checks the nesting
depth, and only when a mark was made walks the result to report each problem with its
JSON Pointer. The common case (a small, clean use) costs one `json.loads` and two scans
of the text in C.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import ClausulaError
from .limits import MAX_DEPTH, MAX_NUMBER_CHARS


class JSONProblems(ClausulaError, ValueError):
    """JSON text that cannot be read: (JSON Pointer, plain sentence) pairs."""

    def __init__(self, problems: list[tuple[str, str]], *, syntax: bool = False) -> None:
        # Pointers and messages repeat what was sent: make sure they can be printed.
        self.problems = [(printable(p), printable(m)) for p, m in problems]
        problems = self.problems
        self.syntax = syntax  # the text is not JSON at all (as opposed to refused JSON)
        super().__init__("; ".join(f"{p or '/'}: {m}" for p, m in problems))


class _Refused:
    """A value the parser met and must refuse (a number too long, `NaN`), and why."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


class _Duplicated(dict[str, Any]):
    """An object in which some keys appear more than once (the keys kept, in order)."""

    twice: list[str]


# A JSON string token. Matched only on text that parsed as JSON, where every quote opens
# or closes a string, so the match is linear (on unterminated strings it would not be).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def printable(text: str) -> str:
    """`text` with lone surrogates written as `\\udXXX`, so that it can be printed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _is_lone_surrogate_free(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_deep(text: str) -> bool:
    """Whether the JSON `text` (known to parse) nests deeper than `MAX_DEPTH`."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # the common case: too few brackets to nest that deep
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


_DEEP = f"objects and arrays nested more than {MAX_DEPTH} deep; the limit is {MAX_DEPTH}"


def load_json(source: str | bytes) -> Any:
    """The JSON value in `source`, or `JSONProblems` saying each thing wrong, with a pointer.

    See `read_json`.
    """
    value, problems = read_json(source)
    if problems:
        raise JSONProblems(problems)
    return value


def read_json(source: str | bytes) -> tuple[Any, list[tuple[str, str]]]:
    """The JSON value in `source` and the problems inside it, each with its JSON Pointer
    (where a value was refused, the value is a placeholder); `JSONProblems` when the text
    cannot be read as a whole (not UTF-8, not JSON, nested too deep).

    Refused: text that is not UTF-8 or not JSON, nesting deeper than `MAX_DEPTH`, number
    literals longer than `MAX_NUMBER_CHARS`, `NaN` and `Infinity` (not JSON), numbers that
    overflow to infinity, duplicate keys in an object, and lone surrogates in strings.
    """
    if isinstance(source, bytes | bytearray):
        try:
            text = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise JSONProblems(
                [("", f"the text is not UTF-8: byte {error.start} cannot be decoded")],
                syntax=True,
            ) from None
    else:
        text = source.removeprefix("\ufeff")
    marked: list[bool] = []

    def number(token: str, kind: type[int] | type[float]) -> Any:
        if len(token) > MAX_NUMBER_CHARS:
            marked.append(True)
            return _Refused(f"a number of {len(token)} characters; the limit is {MAX_NUMBER_CHARS}")
        value = kind(token)
        if isinstance(value, float) and not math.isfinite(value):
            marked.append(True)
            return _Refused(f"{token} is beyond the range of a number")
        return value

    def constant(token: str) -> Any:
        marked.append(True)
        return _Refused(f'{token} is not a JSON number; write a decimal string such as "1.5"')

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) == len(items):
            return obj
        marked.append(True)
        twice = _Duplicated(obj)
        counts: dict[str, int] = {}
        for key, _ in items:
            counts[key] = counts.get(key, 0) + 1
        twice.twice = [key for key, count in counts.items() if count > 1]
        return twice

    try:
        value = json.loads(
            text,
            parse_int=lambda token: number(token, int),
            parse_float=lambda token: number(token, float),
            parse_constant=constant,
            object_pairs_hook=pairs,
        )
    except json.JSONDecodeError as error:
        raise JSONProblems(
            [("", f"not valid JSON at line {error.lineno} column {error.colno}: {error.msg}")],
            syntax=True,
        ) from None
    except RecursionError:
        # The C parser stops at Python's recursion limit (about 1,000 levels) without harm.
        raise JSONProblems([("", _DEEP)]) from None
    if _too_deep(text):
        raise JSONProblems([(_too_deep_at(value), _DEEP)])
    if not text.isascii() and not _is_lone_surrogate_free(text):
        marked.append(True)  # a lone surrogate in the text itself (a Python caller's str)
    elif _SURROGATE_ESCAPE.search(text):
        marked.append(True)  # escaped surrogates: a pair is fine, a lone one is not
    problems: list[tuple[str, str]] = []
    if marked:
        _walk(value, "", problems)
    return value, problems


def _too_deep_at(value: Any) -> str:
    """The pointer of the first object or array nested beyond `MAX_DEPTH`, found without
    recursion (the value may be deeper than Python's stack)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, pointer, depth = stack.pop()
        if depth > MAX_DEPTH:
            return pointer
        if isinstance(item, dict):
            children = [(v, pointer + pointer_part(k), depth + 1) for k, v in item.items()]
        elif isinstance(item, list):
            children = [(v, pointer + pointer_part(i), depth + 1) for i, v in enumerate(item)]
        else:
            continue
        stack.extend(
            (child, where, level)
            for child, where, level in reversed(children)
            if isinstance(child, dict | list)
        )
    return ""


def pointer_part(key: str | int) -> str:
    """One reference token of a JSON Pointer (RFC 6901): `/` and `~` escaped, with its `/`."""
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


def _walk(value: Any, pointer: str, problems: list[tuple[str, str]]) -> None:
    """Report every refused value, duplicate key and lone surrogate under `pointer`."""
    if isinstance(value, _Refused):
        problems.append((pointer, value.why))
    elif isinstance(value, str):
        if not _is_lone_surrogate_free(value):
            problems.append((pointer, "text with a lone surrogate (not a Unicode character)"))
    elif isinstance(value, dict):
        for key in getattr(value, "twice", ()):
            problems.append(
                (pointer + pointer_part(key), "this key appears more than once in its object")
            )
        for key, item in value.items():
            where = pointer + pointer_part(key)
            if not _is_lone_surrogate_free(key):
                problems.append((where, "a key with a lone surrogate (not a Unicode character)"))
            _walk(item, where, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, pointer + pointer_part(index), problems)
