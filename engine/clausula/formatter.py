"""`clausula fmt`: one canonical layout for clause files, comments kept where they were.

The layout is made from the AST, never from the text: two files that parse to the same
AST are formatted alike. What the parser drops — comments and blank lines — is read back
from the text by position:

- a comment alone on its line stays before the line that followed it (the next clause,
  header or part of a clause), indented like that line;
- a comment after code stays at the end of that code's line (when a long item is broken
  over several lines, at the end of its last line);
- one blank line is kept where the text had one or more between the items of a block or
  between blocks; blocks and clauses always get one, the parts of a clause never do.

Canonical layout: blocks at column 0, their items at 2, the parts of a clause at 4, and
continuation lines two further in; header items in a fixed order (licensor, licensee,
effective, territory, scope, applies; text, in force, proposed, applies); the parts of a
clause in the order cite, notwithstanding, when, unless, effects; one space between words;
lines longer than `WIDTH` broken before the weakest operator that makes them fit (`to`
and `where` of a payment, the formalities of a consent first).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, assert_never

from . import ast, consenters
from .diagnostics import Diagnostic
from .errors import ClausulaError
from .lines import normalize, split_lines
from .parser import parse

WIDTH = 100
INDENT = "  "

# The separator before a token: GLUE (nothing), SPACE (a space, never a line break), or a
# positive priority: a space, or a line break if the line is too long (highest first).
GLUE = -1
SPACE = 0
BREAK_ITEM = 20  # `to`, `where`, formalities, `met when`: the parts of an effect
BREAK_LIST = 3  # after a comma in a list of names or territories


@dataclass(slots=True)
class Tok:
    """One word of an item and what separates it from the word before."""

    text: str
    sep: int = SPACE


HEADER_ORDER = {
    "licensor": 0,
    "licensee": 1,
    "effective": 2,
    "territory": 3,
    "scope": 4,
    "text": 5,
    "in_force": 6,
    "proposed": 7,
    "applies": 8,
}

FORMALITY_ORDER = (
    ("in_writing", "in writing"),
    ("signed", "signed"),
    ("specific_description", "with specific description"),
    ("with_counsel", "with counsel"),
    ("terms_conspicuous", "with conspicuous terms"),
    ("separately_signed", "separately signed"),
    ("collective_bargaining", "under collective bargaining"),
    ("court_approved", "court approved"),
)


# ----------------------------------------------------------------- literals and expressions


def decimal_text(value: Decimal) -> str:
    """A decimal as written in a clause file: plain digits, never an exponent."""
    return format(value, "f")


def string_text(value: str) -> str:
    """A string literal whose value is `value`."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def duration_text(node: ast.DurationLit) -> str:
    """`10 years`, `1 year`."""
    unit = node.unit[:-1] if node.count == 1 and node.unit.endswith("s") else node.unit
    return f"{node.count} {unit}"


def literal_text(node: ast.Expr) -> str | None:
    """The text of a literal, or None if `node` is not one."""
    if isinstance(node, ast.DateLit):
        return node.value.isoformat()
    if isinstance(node, ast.MoneyLit):
        return f"{decimal_text(node.amount)} {node.currency}"
    if isinstance(node, ast.PercentLit):
        return f"{decimal_text(node.value)}%"
    if isinstance(node, ast.DurationLit):
        return duration_text(node)
    if isinstance(node, ast.NumberLit):
        return node.text
    if isinstance(node, ast.StringLit):
        return string_text(node.value)
    if isinstance(node, ast.TerritoryLit):
        return node.code
    if isinstance(node, ast.PartyLit):
        return node.id
    if isinstance(node, ast.BoolLit):
        return "true" if node.value else "false"
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Path):
        return node.dotted
    return None


# Binding strength of what an expression is, and what each operand position accepts.
_OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _UNARY, _POSTFIX, _ATOM = range(9)


def _level(node: ast.Expr) -> int:
    if isinstance(node, ast.Logical):
        return _OR if node.op == "or" else _AND
    if isinstance(node, ast.Not):
        return _NOT
    if isinstance(node, ast.Compare):
        return _CMP
    if isinstance(node, ast.Binary):
        return _SUM if node.op in "+-" else _PRODUCT
    if isinstance(node, ast.Negate):
        return _UNARY
    if isinstance(node, ast.PerUnit):
        return _POSTFIX
    if isinstance(node, ast.Tiered):
        return _ATOM  # `tiered …` is an atom; its tiers end where the expression does
    return _ATOM


def _prio(base: int, depth: int) -> int:
    return max(1, base - 2 * depth)


def expr_tokens(node: ast.Expr, depth: int = 0) -> list[Tok]:
    """The words of an expression, with parentheses only where the grammar needs them."""
    text = literal_text(node)
    if text is not None:
        return [Tok(text)]
    if isinstance(node, ast.Logical):
        inner = _AND if node.op == "or" else _NOT
        out: list[Tok] = []
        for index, operand in enumerate(node.operands):
            if index:
                out.append(Tok(node.op, _prio(9 if node.op == "or" else 8, depth)))
            if node.op == "or" and isinstance(operand, ast.Logical):
                # `a or (b and c)`: not needed by the grammar, but a lawyer reads it right.
                grouped = expr_tokens(operand, depth + 1)
                grouped[0].sep = GLUE
                out += [Tok("("), *grouped, Tok(")", GLUE)]
            else:
                out += _operand(operand, inner, depth)
        return out
    if isinstance(node, ast.Not):
        return [Tok("not"), *_operand(node.operand, _NOT, depth)]
    if isinstance(node, ast.Compare):
        return [
            *_operand(node.left, _SUM, depth),
            Tok(node.op, _prio(7, depth)),
            *_operand(node.right, _SUM, depth),
        ]
    if isinstance(node, ast.Binary):
        left, right = (_SUM, _PRODUCT) if node.op in "+-" else (_PRODUCT, _UNARY)
        base = 6 if node.op in "+-" else 5
        return [
            *_operand(node.left, left, depth),
            Tok(node.op, _prio(base, depth)),
            *_operand(node.right, right, depth),
        ]
    if isinstance(node, ast.Negate):
        negated = _operand(node.operand, _UNARY, depth)
        negated[0].sep = GLUE
        return [Tok("-"), *negated]
    if isinstance(node, ast.PerUnit):
        return [*_operand(node.rate, _POSTFIX, depth), Tok("per", _prio(4, depth)), Tok(node.unit)]
    if isinstance(node, ast.Call):
        out = [Tok(node.function), Tok("(", GLUE)]
        out += _items(node.args, depth + 1)
        return [*out, Tok(")", GLUE)]
    if isinstance(node, ast.SetLit):
        return [Tok("("), *_items(node.items, depth + 1), Tok(")", GLUE)]
    if isinstance(node, ast.Quantifier):
        condition = expr_tokens(node.condition, depth + 1)
        condition[0].sep = _prio(6, depth)
        return [
            Tok(node.kind),
            Tok("(", GLUE),
            Tok(node.variable, GLUE),
            Tok("in"),
            Tok(node.path.dotted),
            Tok("where", _prio(7, depth)),
            *condition,
            Tok(")", GLUE),
        ]
    if isinstance(node, ast.Tiered):
        out = [Tok("tiered"), *_operand(node.base, _ATOM, depth)]
        for tier in node.tiers:
            rate = _operand(tier.rate, _SUM, depth + 1)
            if tier.limit is None:
                out += [Tok("above", _prio(8, depth)), Tok("at"), *rate]
            else:
                limit = decimal_text(tier.limit)
                out += [Tok("up", _prio(8, depth)), Tok("to"), Tok(limit), Tok("at"), *rate]
        return out
    raise TypeError(f"cannot format {type(node).__name__}")  # pragma: no cover


def _operand(node: ast.Expr, accepts: int, depth: int) -> list[Tok]:
    """`node` where the grammar accepts expressions of binding `accepts` or stronger."""
    # A `tiered` operand is always in parentheses: its last rate would take in whatever
    # follows it (`tiered x … above at 1 USD + 2 USD` adds to the rate).
    if _level(node) >= accepts and not isinstance(node, ast.Tiered):
        return expr_tokens(node, depth)
    inner = expr_tokens(node, depth + 1)
    inner[0].sep = GLUE
    return [Tok("("), *inner, Tok(")", GLUE)]


def _items(nodes: tuple[ast.Expr, ...], depth: int) -> list[Tok]:
    out: list[Tok] = []
    for index, item in enumerate(nodes):
        tokens = expr_tokens(item, depth)
        tokens[0].sep = _prio(5, depth) if index else GLUE
        if index:
            out.append(Tok(",", GLUE))
        out += tokens
    return out


def expr_text(node: ast.Expr) -> str:
    """An expression on one line, as `fmt` writes it."""
    return _join(expr_tokens(node))


def _join(tokens: list[Tok]) -> str:
    parts: list[str] = []
    for index, token in enumerate(tokens):
        if index and token.sep != GLUE:
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)


def layout(tokens: list[Tok], indent: str, width: int = WIDTH) -> list[str]:
    """The words of one item as lines: the first at `indent`, the others two further in.

    Greedy: when a word does not fit, the line is broken at the best break so far (the
    highest priority; the latest of equals).
    """
    lines: list[str] = []
    current: list[Tok] = []
    prefix = indent

    def length(items: list[Tok]) -> int:
        return len(prefix) + len(_join(items))

    for token in tokens:
        current.append(token)
        while length(current) > width:
            breaks = [i for i in range(1, len(current)) if current[i].sep > 0]
            if not breaks:
                break
            best = max(breaks, key=lambda i: (current[i].sep, i))
            lines.append(prefix + _join(current[:best]))
            current = current[best:]
            prefix = indent + INDENT
    lines.append(prefix + _join(current))
    return lines


# ----------------------------------------------------------------- items


def _words(*words: str, sep: int = SPACE) -> list[Tok]:
    return [Tok(w, sep) for w in words]


def _list(texts: list[str]) -> list[Tok]:
    out: list[Tok] = []
    for index, text in enumerate(texts):
        if index:
            out[-1].text += ","
        out.append(Tok(text, BREAK_LIST))
    return out


def _with_first(tokens: list[Tok], sep: int) -> list[Tok]:
    if tokens:
        tokens[0].sep = sep
    return tokens


def _subject(subject: ast.Subject) -> list[Tok]:
    if subject.kind == "party":
        return [Tok(subject.party or "")]
    assert subject.path is not None
    word = {"each_performer": "of", "each_artist": "in", "each_work": "in"}[subject.kind]
    return _words("each", subject.variable, word, subject.path.dotted)


def _where(subject: ast.Subject | None) -> list[Tok]:
    if subject is None or subject.where is None:
        return []
    return [Tok("where", BREAK_ITEM), *expr_tokens(subject.where, 1)]


def _formalities(groups: tuple[frozenset[str], ...]) -> list[Tok]:
    out: list[Tok] = []
    for index, group in enumerate(groups):
        if index:
            out.append(Tok("or", BREAK_ITEM - 5))
        for name, text in FORMALITY_ORDER:
            if name in group:
                out += _words(*text.split())
    return out


def _cap(cap: ast.DurationLit | None) -> list[Tok]:
    if cap is None:
        return []
    return [Tok("for", BREAK_ITEM), *_words("at", "most", duration_text(cap))]


def effect_tokens(effect: ast.AnyEffect) -> list[Tok]:
    """The words of one effect (`permit …`, `pay … to …`)."""
    if isinstance(effect, ast.Permit):
        return [Tok("permit"), *_list([n.name for n in effect.purposes])]
    if isinstance(effect, ast.Deny):
        return [Tok("deny")] + ([Tok(string_text(effect.message))] if effect.message else [])
    if isinstance(effect, ast.Oblige):
        out = [Tok("oblige"), Tok(string_text(effect.text))]
        if effect.met is not None:
            out += [Tok("met", BREAK_ITEM), Tok("when"), *expr_tokens(effect.met, 1)]
        return out
    if isinstance(effect, ast.Risk):
        return [Tok("risk"), Tok(string_text(effect.text))]
    if isinstance(effect, ast.RequireLicence):
        return [
            *_words("require", "licence", "for"),
            *_subject(effect.subject),
            *_where(effect.subject),
        ]
    if isinstance(effect, ast.RequireConsent):
        head = "void" if effect.void else "require"
        out = [*_words(head, "consent", "of"), *_subject(effect.subject)]
        if isinstance(effect.purposes, ast.Path):
            out += [Tok("for", BREAK_ITEM - 2), Tok(effect.purposes.dotted)]
        elif effect.purposes:
            out += [Tok("for", BREAK_ITEM - 2), *_list([n.name for n in effect.purposes])]
        if effect.consenters is not None:
            out += [Tok("given", BREAK_ITEM - 1), Tok("by")]
            for index, kind in enumerate(k for k in consenters.WORDS if k in effect.consenters):
                if index:
                    out.append(Tok("or", BREAK_ITEM - 5))
                out += _words(*consenters.WORDS[kind].split())
        if effect.void:
            if effect.made_from is not None:
                out += [Tok("made", BREAK_ITEM), *_words("from", str(effect.made_from.value))]
            out += [Tok("if", BREAK_ITEM), Tok("not")]
            out += _with_first(_formalities(effect.formalities), SPACE)
            return out + _where(effect.subject)
        out += _with_first(_formalities(effect.formalities), BREAK_ITEM)
        out += _cap(effect.cap)
        if effect.minors is not None:
            # `for a, b, if minor` would read `if` as one more purpose: no comma there.
            after_names = isinstance(effect.purposes, tuple) and effect.purposes
            if not (after_names and not effect.formalities and effect.cap is None):
                out.append(Tok(",", GLUE))
            out += _words("if", "minor")
            out[-2].sep = BREAK_ITEM
            out += _with_first(_formalities(effect.minors.formalities), SPACE)
            out += _cap(effect.minors.cap)
        if effect.exempt:
            out += [Tok(",", GLUE), Tok("or", BREAK_ITEM), *_words("any", "consent")]
            out += _with_first(_formalities(effect.exempt), SPACE)
        return out + _where(effect.subject)
    if isinstance(effect, ast.Pay):
        if effect.amount is None or effect.payee is None:
            return _words("pay", "nothing")
        return [
            Tok("pay"),
            *expr_tokens(effect.amount, 1),
            Tok("to", BREAK_ITEM),
            *_subject(effect.payee),
            *_where(effect.payee),
        ]
    assert_never(effect)


def effect_text(effect: ast.AnyEffect) -> str:
    """An effect on one line, as `fmt` writes it."""
    return _join(effect_tokens(effect))


def header_tokens(header: ast.Header) -> list[Tok]:
    """The words of a header line of a block (`licensee …`, `in force from …`)."""
    kind, values = header.kind, header.values
    if kind in ("licensor", "licensee"):
        party = values[0]
        assert isinstance(party, ast.PartyLit)
        return _words(kind, party.id)
    if kind == "effective":
        start, end = values
        assert isinstance(start, ast.DateLit)
        out = _words("effective", start.value.isoformat())
        if isinstance(end, ast.DurationLit):
            out += _words("for", duration_text(end))
        elif isinstance(end, ast.DateLit):
            out += _words("until", end.value.isoformat())
        return out
    if kind == "territory":
        names, excepted = values
        assert isinstance(names, tuple) and isinstance(excepted, tuple)
        out = [Tok("territory"), *_list([n.code for n in names])]
        if excepted:
            out += [Tok("except", BREAK_LIST + 1), *_list([n.code for n in excepted])]
        return out
    if kind == "scope":
        what, ids = values
        assert isinstance(ids, tuple)
        if what == "catalogue":
            return _words("scope", "catalogue", "of", ids[0].id)
        if what == "works":
            return [*_words("scope", "works"), *_list([i.id for i in ids])]
        return _words("scope", "all", "works")
    if kind == "text":
        assert isinstance(values[0], str)
        return [Tok("text"), Tok(string_text(values[0]))]
    if kind == "in_force":
        start, end = values
        assert isinstance(start, ast.DateLit)
        out = _words("in", "force", "from", start.value.isoformat())
        if isinstance(end, ast.DateLit):
            out += _words("until", end.value.isoformat())
        return out
    if kind == "proposed":
        if values:
            after = values[0]
            assert isinstance(after, ast.DurationLit)
            return [
                Tok("proposed"),
                Tok(",", GLUE),
                *_words("effective", duration_text(after), "after", "enactment"),
            ]
        return [Tok("proposed")]
    raise TypeError(f"cannot format the header {kind}")  # pragma: no cover


# ----------------------------------------------------------------- units of output


@dataclass
class _Unit:
    """Some lines of output made from one item of the AST, and where it was in the text."""

    anchor: int  # the source line where the item starts
    tokens: list[Tok]
    depth: int  # 0 block, 1 item of a block, 2 part of a clause
    block_start: bool = False  # a block or a clause: always a blank line before
    before: list[tuple[int, str]] = field(default_factory=list)  # (source line, comment)
    trailing: list[str] = field(default_factory=list)


def _block_units(block: ast.Block, lines: list[str]) -> list[_Unit]:
    units = [
        _Unit(
            block.name_span.line,
            [Tok(block.kind), Tok(string_text(block.name))]
            + ([Tok(string_text(block.title))] if block.title is not None else []),
            0,
            block_start=True,
        )
    ]
    headers: list[tuple[int, int, int, list[Tok]]] = []
    for index, header in enumerate(block.headers):
        headers.append(
            (HEADER_ORDER.get(header.kind, 9), index, header.span.line, header_tokens(header))
        )
    for index, condition in enumerate(block.applies):
        tokens = [*_words("applies", "when"), *expr_tokens(condition)]
        headers.append((HEADER_ORDER["applies"], index, condition.span.line, tokens))
    for _, _, line, tokens in sorted(headers, key=lambda h: (h[0], h[1])):
        units.append(_Unit(line, tokens, 1))

    items: list[tuple[int, int, list[_Unit]]] = []
    if block.purposes:
        tokens = [Tok("purposes"), *_list([p.name for p in block.purposes])]
        items.append(
            (block.purposes[0].span.line, 0, [_Unit(block.purposes[0].span.line, tokens, 1)])
        )
    if block.contexts:
        tokens = [Tok("contexts"), *_list([c.name for c in block.contexts])]
        items.append(
            (block.contexts[0].span.line, 0, [_Unit(block.contexts[0].span.line, tokens, 1)])
        )
    for group in block.groups:
        tokens = [*_words("group", group.name, "="), *_list([m.code for m in group.members])]
        items.append((group.span.line, 0, [_Unit(group.span.line, tokens, 1)]))
    for parameter in block.parameters:
        tokens = [*_words("parameter", parameter.name, "="), *expr_tokens(parameter.value)]
        if parameter.above_whole is not None:
            above = literal_text(parameter.above_whole) or "100%"
            tokens += [Tok(",", GLUE), *_words("above", above, "intended")]
        items.append((parameter.span.line, 0, [_Unit(parameter.span.line, tokens, 1)]))
    for definition in block.definitions:
        tokens = [*_words("define", definition.name, "="), *expr_tokens(definition.value)]
        items.append((definition.span.line, 0, [_Unit(definition.span.line, tokens, 1)]))
    for fact in block.facts:
        tokens = [*_words("fact", fact.name), Tok(":", GLUE), Tok(fact.type_name)]
        if fact.doc is not None:
            tokens.append(Tok(string_text(fact.doc)))
        items.append((fact.span.line, 0, [_Unit(fact.span.line, tokens, 1)]))
    for provision in block.provisions:
        items.append((provision.key_span.line, 1, _provision_units(provision, lines)))
    for _, _, group_units in sorted(items, key=lambda item: (item[0], item[1])):
        units += group_units
    return units


_CITE = re.compile(r"^[ \t]*cite\b")
_NEXT_ITEM = re.compile(
    r"^[ \t]*(clause|rule|parameter|define|fact|licensor|licensee|effective|territory|scope|"
    r"applies|text|in[ \t]+force|proposed|purposes|contexts|group|contract|jurisdiction|"
    r"vocabulary)\b"
)


def _provision_units(provision: ast.Provision, lines: list[str]) -> list[_Unit]:
    key = string_text(provision.key) if provision.kind == "rule" else provision.key
    head = [Tok(provision.kind), Tok(key)]
    if provision.title is not None:
        head.append(Tok(string_text(provision.title)))
    line = provision.key_span.line
    units = [_Unit(line, head, 1, block_start=True)]
    if provision.cite is not None:
        # The parser keeps no position for `cite`: the last `cite` line before the next item.
        found = line
        for number in range(line, len(lines) + 1):
            if number > line and _NEXT_ITEM.match(lines[number - 1]):
                break
            if _CITE.match(lines[number - 1]):
                found = number
        units.append(_Unit(found, [Tok("cite"), Tok(string_text(provision.cite))], 2))
    if provision.notwithstanding:
        tokens = [Tok("notwithstanding")]
        for index, reference in enumerate(provision.notwithstanding):
            if index:
                tokens[-1].text += ","
            ref = reference.key if reference.kind == "clause" else string_text(reference.key)
            tokens += [Tok(reference.kind, BREAK_LIST), Tok(ref)]
        units.append(_Unit(provision.notwithstanding[0].span.line, tokens, 2))
    for word, conditions in (("when", provision.when), ("unless", provision.unless)):
        for condition in conditions:
            units.append(_Unit(condition.span.line, [Tok(word), *expr_tokens(condition)], 2))
    for effect in provision.effects:
        units.append(_Unit(effect.span.line, effect_tokens(effect), 2))
    return units


# ----------------------------------------------------------------- comments


def split_comment(line: str) -> tuple[str, str | None]:
    """The code of a line and its comment (from `#`, outside strings), or None."""
    in_string = escaped = False
    for index, char in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#":
            return line[:index], line[index:].rstrip()
    return line, None


def comments(text: str) -> Iterator[tuple[int, str, bool]]:
    """Every comment of `text`: (1-based line, the comment from `#`, alone on its line)."""
    for number, line in enumerate(split_lines(text), start=1):
        code, comment = split_comment(line)
        if comment is not None:
            yield number, comment, not code.strip()


# ----------------------------------------------------------------- the file


class FormatError(ClausulaError):
    """The file does not parse: it cannot be formatted. Holds the syntax errors."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(diagnostics[0].message if diagnostics else "syntax error")
        self.diagnostics = diagnostics


def format_text(text: str, path: str = "<text>") -> str:
    """The canonical layout of a clause file. Raises `FormatError` if it does not parse."""
    text = normalize(text)  # line ends as `clausula.lines` defines them; written `\n`
    source, diagnostics = parse(text, path)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise FormatError(errors)
    lines = text.split("\n")
    units: list[_Unit] = []
    for block in source.blocks:
        units += _block_units(block, lines)

    # Attach comments: alone on a line, to the item that follows it in the text; after
    # code, to the last item that starts on or before its line.
    by_anchor = sorted(range(len(units)), key=lambda i: (units[i].anchor, i))
    anchors = [units[i].anchor for i in by_anchor]
    tail: list[tuple[int, str]] = []
    for number, comment, alone in comments(text):
        if alone:
            position = bisect.bisect_right(anchors, number)
            if position < len(anchors):
                units[by_anchor[position]].before.append((number, comment))
            else:
                tail.append((number, comment))
        else:
            position = bisect.bisect_right(anchors, number) - 1
            if position >= 0:
                units[by_anchor[position]].trailing.append(comment)
            else:  # pragma: no cover - code before the first item cannot parse
                tail.append((number, comment))

    def blank_above(number: int) -> bool:
        return number >= 2 and not lines[number - 2].strip()

    out: list[str] = []

    def blank() -> None:
        if out and out[-1] != "":
            out.append("")

    last_indent = ""
    for unit in units:
        indent = INDENT * unit.depth
        keep_blanks = unit.depth < 2
        first_line = unit.before[0][0] if unit.before else unit.anchor
        if unit.block_start or (keep_blanks and blank_above(first_line)):
            blank()
        trailing = unit.trailing
        before = list(unit.before)
        if len(trailing) > 1:  # several lines' comments on one item: above it, in order
            before += [(0, c) for c in trailing]
            trailing = []
        for index, (number, comment) in enumerate(before):
            if index and keep_blanks and blank_above(number):
                blank()
            out.append(indent + comment)
        if before and keep_blanks and unit.before and blank_above(unit.anchor):
            blank()
        rendered = layout(unit.tokens, indent)
        if trailing:
            rendered[-1] += "  " + trailing[0]
        out += rendered
        last_indent = indent
    for index, (number, comment) in enumerate(tail):
        if (index or out) and blank_above(number):
            blank()
        out.append((last_indent if out else "") + comment)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n" if out else ""


# ----------------------------------------------------------------- comparing ASTs

_SPAN_FIELDS = frozenset(
    {"span", "key_span", "name_span", "function_span", "unit_span", "type_span"}
)


def shape(node: Any) -> Any:
    """The structure of an AST without positions, for comparing two parses.

    Header lines are taken in the canonical order `fmt` writes them: their order carries
    no meaning (each kind appears once; several `applies` keep their order).
    """
    if isinstance(node, ast.SourceFile):
        return ("SourceFile", tuple(shape(b) for b in node.blocks))
    if isinstance(node, ast.Block):
        headers = sorted(node.headers, key=lambda h: HEADER_ORDER.get(h.kind, 9))
        node = dataclasses.replace(node, headers=tuple(headers))
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (
            type(node).__name__,
            tuple(
                (f.name, shape(getattr(node, f.name)))
                for f in dataclasses.fields(node)
                if f.name not in _SPAN_FIELDS
            ),
        )
    if isinstance(node, tuple | list):
        return tuple(shape(item) for item in node)
    if isinstance(node, frozenset):
        return frozenset(shape(item) for item in node)
    if isinstance(node, Decimal):
        return ("Decimal", str(node))
    return node
