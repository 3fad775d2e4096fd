"""The one way the engine reads YAML: safe tags only, and bounded in size and expansion.

Every reader of YAML (data files, scenarios, clause tests, filter templates, consent
imports) goes through `SafeLoader` (or a subclass of it) and `load`/`compose` below.
`yaml.safe_load` alone is not enough: a "billion laughs" document of a few hundred bytes,
whose aliases refer to aliases, stands for billions of values, and whatever walks the
loaded value (validation, hashing, a report) never finishes. Here the size of the
document once every alias is expanded is counted as it is composed, in linear time, and
each limit of `clausula.limits` passed raises `YamlLimitError`, a `MarkedYAMLError` that
names the place like any other YAML error. A string that escapes a lone surrogate raises
`YamlTextError`, placed the same way: no reader after this one meets text it cannot show.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ClausulaError
from .limits import MAX_YAML_ALIASES, MAX_YAML_CHARS, MAX_YAML_DEPTH, MAX_YAML_NODES


class YamlLimitError(yaml.MarkedYAMLError, ClausulaError):
    """A YAML document passes one of the limits of `clausula.limits`."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class YamlTextError(yaml.MarkedYAMLError, ClausulaError):
    """A YAML string that is not text: an escape (`"\\ud800"`) made a lone surrogate, which
    no reader after this one could show or write."""

    def __init__(self, mark: Any) -> None:
        super().__init__(
            problem="this text holds a lone surrogate (an escape such as \\ud800 that is not "
            "a Unicode character on its own): write the character itself",
            problem_mark=mark,
        )


class SafeLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that refuses documents too large, too deep or expanding too far."""

    def __init__(self, stream: Any) -> None:
        if isinstance(stream, str | bytes) and len(stream) > MAX_YAML_CHARS:
            raise YamlLimitError(
                f"the file has {len(stream):,} characters; a YAML file may have at most "
                f"{MAX_YAML_CHARS:,}"
            )
        super().__init__(stream)
        self._expanded: dict[int, int] = {}  # id(node) -> nodes once aliases are expanded
        self._aliases = 0
        self._depth = 0

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        # The scanner keeps a possible key per open `[`/`{` and looks at all of them for
        # each token: without a bound, `[[[[…` is quadratic before the composer sees it.
        if self.flow_level >= MAX_YAML_DEPTH:
            raise YamlLimitError(
                f"collections nest more than {MAX_YAML_DEPTH} levels deep",
                self.get_mark(),
            )
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise YamlLimitError(
                    f"more than {MAX_YAML_ALIASES:,} aliases (`*name`) in one document",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise YamlLimitError(
                f"collections nest more than {MAX_YAML_DEPTH} levels deep",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, ScalarNode) and not node.value.isascii():
            try:
                node.value.encode("utf-8")
            except UnicodeEncodeError:
                raise YamlTextError(node.start_mark) from None
        expanded = self._expanded
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(expanded.get(id(item), 1) for item in node.value)
        elif isinstance(node, MappingNode):
            size += sum(expanded.get(id(k), 1) + expanded.get(id(v), 1) for k, v in node.value)
        if size > MAX_YAML_NODES:
            raise YamlLimitError(
                f"this stands for more than {MAX_YAML_NODES:,} values once its aliases are "
                "expanded",
                node.start_mark if node is not None else None,
            )
        if size > 1:
            expanded[id(node)] = size
        return node


def load(text: str, loader: type[SafeLoader] = SafeLoader) -> Any:
    """The value of the single YAML document `text` (None if empty), read safely."""
    reader = loader(text)
    try:
        return reader.get_single_data()
    finally:
        reader.dispose()


def compose(text: str, loader: type[SafeLoader] = SafeLoader) -> Node | None:
    """The node tree of the single YAML document `text` (None if empty), read safely."""
    reader = loader(text)
    try:
        return reader.get_single_node()
    finally:
        reader.dispose()


_NO_CONSTRUCTOR = re.compile(r"could not determine a constructor for the tag '([^']*)'")


def place_of(error: yaml.YAMLError, text: str) -> tuple[int, int]:
    """The 1-based line and column of a YAML error in `text`; (1, 1) if it has none."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    if isinstance(error, yaml.reader.ReaderError) and isinstance(error.position, int):
        position = error.position
        return text.count("\n", 0, position) + 1, position - text.rfind("\n", 0, position)
    return 1, 1


def problem_of(error: yaml.YAMLError) -> str:
    """What is wrong, in one plain phrase (a tag that would build an object is named)."""
    if isinstance(error, yaml.reader.ReaderError) and isinstance(error.character, int):
        return f"the character U+{error.character:04X} is not allowed in YAML"
    problem = str(getattr(error, "problem", None) or "") or "it is not valid YAML"
    unknown = _NO_CONSTRUCTOR.match(problem)
    if unknown:
        tag = unknown.group(1).replace("tag:yaml.org,2002:", "!!")
        return f"the tag `{tag}` is not allowed here: only plain values (text, numbers, lists, mappings)"
    return problem
