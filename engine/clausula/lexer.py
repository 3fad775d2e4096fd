"""A fast path for Lark's LALR parser: the same tables and callbacks, a tighter loop.

Lark stays the parser generator: the LALR table, the contextual lexer's terminal sets and
the callbacks that build the AST all come from the `Lark` object. Only the loop that feeds
tokens to the table is ours, because Lark's generic one costs ~12 µs a token here:

- one compiled regex per lexer state that also skips whitespace and comments (Lark makes a
  token of each and then drops it), and keywords found by one dict look-up;
- line and column from the position of the next newline, not by counting each token;
- a flat action table (`int` = shift, tuple = reduce) instead of Lark's `(Shift, arg)`
  pairs and `Rule` objects hashed on every step;
- unit reductions of `?rule`s (an `expr` that is just an `atom` goes through nine of
  them) replace the state on top of the stack without calling a callback.

It handles valid text only: at the first thing it does not handle in exactly Lark's way
(a syntax error, a token spanning lines) it gives up and returns `None`, and the caller
parses again with Lark itself, which reports the error with Lark's own exceptions.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

from lark import Lark, Token
from lark.lexer import BasicLexer, ContextualLexer, PatternStr, UnlessCallback
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders
from lark.parsers.lalr_analysis import Shift

# A reduction: (number of symbols, rule name, callback, children kept). Callback None: the
# rule is a `?rule` of one symbol, whose value is the rule's. Children kept: the offsets
# from the top of the stack of the children to pass, None for all (see `_callback`).
_Reduce = tuple[int, str, Callable[[list[Any]], Any] | None, tuple[int, ...] | None]
# What a lexer state needs: the `match` of its regex (ignored text first, then one group
# per terminal), and for each group number, the terminal and the keywords it can be (for
# NAME: "clause" is CLAUSE …) or None.
_LexState = tuple[
    Callable[[str, int], "re.Match[str] | None"], list[tuple[str, dict[str, str] | None] | None]
]

_sre: Any = importlib.import_module("re._parser")  # the parser behind `re`, to read patterns
_ASCII = [chr(code) for code in range(128)]
_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
}
# First characters of a terminal: (ASCII characters, whether others are possible too), or
# None when we cannot tell (the terminal is then tried whatever the character).
_First = tuple[frozenset[str], bool] | None


def _first_chars(items: Any) -> _First:
    """The characters a match of the parsed regex `items` can start with."""
    if not items:
        return None
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return (frozenset({chr(arg)}), False) if arg < 128 else (frozenset(), True)
    if name == "IN":
        return _set_chars(arg)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
        return _first_chars(arg[2])
    if name == "SUBPATTERN" and not (arg[1] | arg[2]) & re.IGNORECASE:
        return _first_chars(arg[3])
    if name == "ATOMIC_GROUP":
        return _first_chars(arg)
    if name == "BRANCH":
        chars: set[str] = set()
        other = False
        for branch in arg[1]:
            first = _first_chars(branch)
            if first is None:
                return None
            chars |= first[0]
            other = other or first[1]
        return frozenset(chars), other
    return None  # may match nothing, a look-around, any character …: try it everywhere


def _set_chars(items: Any) -> _First:
    """The characters of a `[…]` set."""
    chars: set[str] = set()
    other = negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chars |= {chr(arg)} if arg < 128 else set()
            other = other or arg >= 128
        elif name == "RANGE":
            chars |= {chr(c) for c in range(arg[0], min(arg[1], 127) + 1)}
            other = other or arg[1] >= 128
        elif name == "CATEGORY" and str(arg) in _CATEGORIES:
            chars |= {c for c in _ASCII if re.fullmatch(_CATEGORIES[str(arg)], c)}
            other = True
        else:
            return None
    if negate:
        return frozenset(_ASCII) - chars, True
    return frozenset(chars), other


class FastParser:
    """Parses valid text exactly as `lark.parse` would, faster; `None` for anything else."""

    def __init__(self, lark: Lark) -> None:
        frontend = lark.parser
        parser = frontend.parser.parser  # lark.parsers.lalr_parser._Parser
        table = parser.parse_table
        callbacks = parser.callbacks
        lexer = frontend.lexer
        if not isinstance(lexer, ContextualLexer) or any(isinstance(k, str) for k in callbacks):
            raise TypeError("the fast path needs the contextual lexer and no token callbacks")
        ignore = [lark.get_terminal(name).pattern.to_regexp() for name in lark.lexer_conf.ignore]
        # Possessive: after skipping, the regex never backtracks into what it skipped.
        self._skip = "(?:" + "|".join(ignore) + ")*+"
        self._ignore = frozenset(lark.lexer_conf.ignore)

        count = max(table.states) + 1
        self._actions: list[dict[str, int | _Reduce]] = [{} for _ in range(count)]
        for state, row in table.states.items():
            actions = self._actions[state]
            for symbol, (action, arg) in row.items():
                # Plain `str` keys: Lark's names are `Token`s, whose `==` is Python code.
                if action is Shift:
                    actions[str(symbol)] = arg
                else:
                    size = len(arg.expansion)
                    callback, keep = self._callback(arg, callbacks[arg])
                    actions[str(symbol)] = (size, str(arg.origin.name), callback, keep)
        # Terminals that some rule keeps as a child; the others (`"when"`, `","` …) never
        # reach a callback, so they get no `Token`.
        rules: list[Any] = lark.rules
        self._kept = frozenset(
            str(symbol.name)
            for rule in rules
            for symbol in rule.expansion
            if symbol.is_term and (rule.options.keep_all_tokens or not symbol.filter_out)
        )
        self._chains: dict[tuple[int, int, str], int] = {}
        self._start: int = table.start_states["start"]
        self._end: int = table.end_states["start"]

        # Lexer states are built when first needed (most files use half of them); Lark
        # shares one lexer between the states that accept the same terminals.
        self._lark_lexers = [lexer.lexers[state] for state in range(count)]
        self._by_lexer: dict[int, _LexState] = {}
        self._lexers: list[_LexState | None] = [None] * count
        self._firsts: dict[str, _First] = {}

    @staticmethod
    def _callback(rule: Any, callback: Any) -> tuple[Any, tuple[int, ...] | None]:
        """The function to call for `rule`, and which children to pass it.

        None for a `?rule` of one symbol: Lark's callback would return that child. For a
        rule with keywords, Lark wraps our method in a filter that drops them: the loop
        picks the children itself, one call and one list fewer.
        """
        size = len(rule.expansion)
        if rule.options.expand1 and not rule.alias and size == 1:
            symbol = rule.expansion[0]
            dropped = symbol.is_term and symbol.filter_out  # a keyword
            inlined = not symbol.is_term and symbol.name.startswith("_")  # a `_rule`
            if not (dropped or inlined):
                return None, None
        if isinstance(callback, ChildFilterLALR_NoPlaceholders) and not any(
            expand for _, expand in callback.to_include
        ):
            return callback.node_builder, tuple(index - size for index, _ in callback.to_include)
        return callback, None

    def _lex_state(self, state: int) -> _LexState:
        basic = self._lark_lexers[state]
        built = self._by_lexer.get(id(basic))
        if built is None:
            built = self._by_lexer[id(basic)] = self._build_lex_state(basic)
        self._lexers[state] = built
        return built

    def _build_lex_state(self, basic: Any) -> _LexState:
        assert isinstance(basic, BasicLexer)
        scanner = basic.scanner  # builds Lark's terminal list, with keywords folded in
        keywords: dict[str, dict[str, str]] = {}
        for name, callback in basic.callback.items():
            if not isinstance(callback, UnlessCallback):
                raise TypeError(f"unexpected lexer callback for {name}")
            words = callback.scanner.terminals
            assert all(isinstance(w.pattern, PatternStr) and not w.pattern.flags for w in words)
            keywords[name] = {w.pattern.value: w.name for w in words}
        terminals = [t for t in scanner.terminals if t.name not in self._ignore]
        flags = basic.g_regex_flags
        try:
            alternatives = self._dispatch(terminals, flags)
        except re.error:  # e.g. a terminal with a named group of its own
            alternatives = [("", terminals)]
        # Groups are numbered, not named: a terminal can appear under several first
        # characters. `lastindex` is then the terminal's group, which closes last.
        parts: list[str] = []
        groups: list[tuple[str, dict[str, str] | None] | None] = [None]
        for lookahead, members in alternatives:
            branch = []
            for terminal in members:
                regexp = terminal.pattern.to_regexp()
                groups.append((terminal.name, keywords.get(terminal.name)))
                groups.extend([None] * re.compile(regexp, flags).groups)
                branch.append(f"({regexp})")
            parts.append(lookahead + "(?:" + "|".join(branch) + ")")
        # The token is optional so that trailing blanks match (and end the text).
        pattern = re.compile(self._skip + "(?:" + "|".join(parts) + ")?", flags)
        assert pattern.groups == len(groups) - 1
        return pattern.match, groups

    def _dispatch(self, terminals: list[Any], flags: int) -> list[tuple[str, list[Any]]]:
        """The terminals to try for each kind of first character, in Lark's order.

        Python's regex engine tries the alternatives of `a|b|…` one by one; with forty
        terminals that is most of the time spent lexing. A look-ahead on the first
        character lets each token try only the few terminals that can start with it.
        """
        if flags & re.IGNORECASE:
            return [("", terminals)]
        firsts = []
        for terminal in terminals:
            regexp = terminal.pattern.to_regexp()
            if regexp not in self._firsts:
                self._firsts[regexp] = _first_chars(_sre.parse(regexp, flags))
            firsts.append(self._firsts[regexp])
        by_members: dict[tuple[int, ...], list[str]] = {}
        for char in _ASCII:
            members = tuple(
                i for i, first in enumerate(firsts) if first is None or char in first[0]
            )
            if members:
                by_members.setdefault(members, []).append(char)
        result = [
            (
                "(?=[" + "".join(f"\\x{ord(c):02x}" for c in chars) + "])",
                [terminals[i] for i in members],
            )
            for members, chars in sorted(by_members.items(), key=lambda item: -len(item[1]))
        ]
        others = [
            t for t, first in zip(terminals, firsts, strict=True) if first is None or first[1]
        ]
        if others:
            result.append(("(?=[^\\x00-\\x7f])", others))
        return result

    def _chain(self, key: tuple[int, int, str]) -> int:
        """The state after the unit reductions that `kind` causes from `top` over `below`.

        An atom in an expression goes up nine `?rule`s, one reduction each, all with the
        same state below; the result only depends on `key`, so it is computed once.
        """
        top, below, kind = key
        while True:
            action = self._actions[top][kind]
            if action.__class__ is int or action[2] is not None:  # type: ignore[index]
                return top
            top = self._actions[below][action[1]]  # type: ignore[index,assignment]

    def parse(self, text: str) -> Any:
        """The value of the start rule, or None if Lark itself must parse `text`."""
        try:
            return self._parse(text)
        except KeyError:  # no action for a token: a syntax error. (A KeyError from a
            return None  # callback is raised again when Lark parses the text itself.)

    def _parse(self, text: str) -> Any:
        actions = self._actions
        lexers = self._lexers
        kept = self._kept
        chains = self._chains
        new_str = str.__new__
        states = [self._start]
        values: list[Any] = []
        push_state, push_value = states.append, values.append
        pos, end = 0, len(text)
        line, line_start = 1, 0
        next_newline = text.find("\n")
        if next_newline < 0:
            next_newline = end
        while True:
            lex_state = lexers[states[-1]]
            if lex_state is None:
                lex_state = self._lex_state(states[-1])
            match, groups = lex_state
            found = match(text, pos)
            assert found is not None  # every part of the regex is optional
            index = found.lastindex
            if index is None:
                if found.end() == end:
                    break
                return None  # no token here: let Lark say why
            kind, keywords = groups[index]  # type: ignore[misc]
            start, pos = found.span(index)
            value = text[start:pos]
            if keywords is not None:
                kind = keywords.get(value, kind)
            while start > next_newline:
                line += 1
                line_start = next_newline + 1
                next_newline = text.find("\n", line_start)
                if next_newline < 0:
                    next_newline = end
            if pos > next_newline:
                return None  # a token spanning lines: Lark counts those
            if kind not in kept:
                token: Any = kind
            else:
                token = new_str(Token, value)
                token.type = kind
                token.value = value
                token.start_pos = start
                token.end_pos = pos
                token.line = token.end_line = line
                token.column = start - line_start + 1
                token.end_column = pos - line_start + 1
            while True:
                action = actions[states[-1]][kind]
                if action.__class__ is int:
                    push_state(action)
                    push_value(token)
                    break
                size, origin, callback, keep = action  # type: ignore[misc]
                if callback is None:  # unit reductions: same value, new state
                    key = (states[-1], states[-2], kind)
                    top = chains.get(key)
                    if top is None:
                        top = chains[key] = self._chain(key)
                    states[-1] = top
                    continue
                if keep is not None:
                    children = [values[offset] for offset in keep]
                    del states[-size:]
                    del values[-size:]
                elif size:
                    children = values[-size:]
                    del states[-size:]
                    del values[-size:]
                else:
                    children = []
                push_value(callback(children))
                push_state(actions[states[-1]][origin])  # type: ignore[arg-type]
        while True:  # the end of the text: reduce until the start rule is done
            action = actions[states[-1]]["$END"]
            if action.__class__ is int:
                return None
            self._reduce(action, states, values)  # type: ignore[arg-type]
            if states[-1] == self._end:
                return values[-1]

    def _reduce(self, action: _Reduce, states: list[int], values: list[Any]) -> None:
        """One reduction, as the loop of `_parse` does it (there inlined, for speed)."""
        size, origin, callback, keep = action
        if callback is None:
            states[-1] = self._actions[states[-2]][origin]  # type: ignore[assignment]
            return
        if keep is not None:
            children = [values[offset] for offset in keep]
        else:
            children = values[-size:] if size else []
        if size:
            del states[-size:]
            del values[-size:]
        values.append(callback(children))
        states.append(self._actions[states[-1]][origin])  # type: ignore[arg-type]
