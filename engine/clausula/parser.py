"""Text → AST. Lark's LALR parser calls the builder below as it reduces, so no parse tree
is ever built; syntax errors become `Diagnostic`s, never Lark exceptions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path as FilePath
from typing import Any, TypeVar

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import ast, consenters
from .collector import collector_paused
from .diagnostics import Diagnostic, DiagnosticSink, Span, did_you_mean
from .errors import ClausulaError
from .lexer import FastParser
from .limits import (
    MAX_BLOCKS_PER_FILE,
    MAX_EXPRESSION_DEPTH,
    MAX_FILE_CHARS,
    MAX_ITEMS_PER_BLOCK,
    MAX_LITERAL_DIGITS,
    MAX_STRING_LENGTH,
)
from .lines import FOREIGN_BREAKS, foreign_break, normalize
from .parser_cache import cached_lark


def grammar_text() -> str:
    """The grammar shipped in the wheel, or the repository's `grammar/` in a checkout."""
    shipped = resources.files("clausula").joinpath("grammar/clausula.lark")
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    repo = FilePath(__file__).resolve().parents[2] / "grammar" / "clausula.lark"
    return repo.read_text(encoding="utf-8")


_E = TypeVar("_E", bound=ast.Expr)

# A Span straight from its fields: the named tuple's own constructor costs several times more,
# and the parser makes one for nearly every token.
_span = tuple.__new__


class _Builder(Transformer[Token, Any]):
    """Builds AST nodes while the LALR parser reduces. `file_path` is set before each parse."""

    file_path = "<text>"

    def __init__(self) -> None:
        super().__init__()
        # The nesting depth of each expression built so far that has operands, by `id`.
        # Every such node stays alive in the tree during the parse, so no `id` is reused,
        # except the `and`/`or` that a longer one absorbs: those are kept in `absorbed`.
        self.depths: dict[int, int] = {}
        self.absorbed: list[Any] = []

    def forget_depths(self) -> None:
        """Start a new parse: the `id`s of the last one's nodes mean nothing now."""
        self.depths = {}
        self.absorbed = []

    def _nested(self, node: _E, operands: Iterable[Any]) -> _E:
        """`node`, once its depth (one more than its deepest operand's) is within limits.

        Checked here, as the parser builds the tree, so that no later recursive walk
        (checker, compiler, formatter, renderer) ever meets a tree deep enough to
        exhaust the stack.
        """
        get = self.depths.get
        depth = 1  # the deepest operand; leaves have depth 1
        for operand in operands:
            below = get(id(operand), 1)
            if below > depth:
                depth = below
        depth += 1
        if depth > MAX_EXPRESSION_DEPTH:
            raise _BadLiteral(
                None,
                f"this expression nests more than {MAX_EXPRESSION_DEPTH} levels deep "
                "(operators, `not`, sets and calls each count one); split it into definitions",
                node.span,
            )
        self.depths[id(node)] = depth
        return node

    def _span(self, children: list[Any]) -> Span:
        """From the start of the first child to the end of the last (keywords not kept)."""
        # The first and last children are nearly always a token or a node: check those
        # here, and look into lists only when they are not.
        first: Any = children[0] if children else None
        if not (isinstance(first, Token) and first.line is not None):
            first = getattr(first, "span", None)
            if not (isinstance(first, Span) and first.line > 0):
                first = _edge(children, False)
        last: Any = children[-1] if children else None
        if not (isinstance(last, Token) and last.line is not None):
            last = getattr(last, "span", None)
            if not (isinstance(last, Span) and last.line > 0):
                last = _edge(children, True)
        if first is None or last is None:
            return Span(self.file_path, 0, 0)
        return _span(
            Span, (self.file_path, first.line, first.column, last.end_line, last.end_column)
        )

    def _tspan(self, token: Token) -> Span:
        return _span(
            Span,
            (
                self.file_path,
                token.line or 0,
                token.column or 0,
                token.end_line or 0,
                token.end_column or 0,
            ),
        )

    @staticmethod
    def _string(token: Token) -> str:
        text = str(token)[1:-1]
        if len(text) > MAX_STRING_LENGTH:
            raise _BadLiteral(
                token,
                f"this string has {len(text):,} characters; a string may have at most "
                f"{MAX_STRING_LENGTH:,}",
            )
        return _UNESCAPE.sub(r"\1", text) if "\\" in text else text

    @staticmethod
    def _digits(token: Token) -> str:
        """The text of a number token, once it is known to have few enough digits."""
        text = str(token)
        if len(text) > MAX_LITERAL_DIGITS and sum(c.isdigit() for c in text) > MAX_LITERAL_DIGITS:
            raise _BadLiteral(
                token,
                f"this number has more than {MAX_LITERAL_DIGITS} digits, the most a number may have",
            )
        return text

    # -------------------------------------------------------------- literals
    # Methods take the list of children, not `@v_args(inline=True)`: Lark's wrapper for
    # that costs three calls per literal, and literals are most of the nodes.
    def _date(self, token: Token) -> ast.DateLit:
        try:
            value = dt.date.fromisoformat(str(token))
        except ValueError:
            raise _BadLiteral(token, f"`{token}` is not a valid date") from None
        return ast.DateLit(self._tspan(token), value)

    def _duration(self, token: Token) -> ast.DurationLit:
        count, unit = self._digits(token).split()
        return ast.DurationLit(
            self._tspan(token), int(count), unit if unit.endswith("s") else unit + "s"
        )

    def date(self, c: list[Token]) -> ast.Expr:
        return self._date(c[0])

    def money(self, c: list[Token]) -> ast.Expr:
        amount, currency = self._digits(c[0]).split()
        return ast.MoneyLit(self._tspan(c[0]), Decimal(amount), currency)

    def percent(self, c: list[Token]) -> ast.Expr:
        return ast.PercentLit(self._tspan(c[0]), Decimal(self._digits(c[0])[:-1]))

    def duration(self, c: list[Token]) -> ast.Expr:
        return self._duration(c[0])

    def number(self, c: list[Token]) -> ast.Expr:
        text = self._digits(c[0])
        return ast.NumberLit(self._tspan(c[0]), Decimal(text), text)

    def string(self, c: list[Token]) -> ast.Expr:
        return ast.StringLit(self._tspan(c[0]), self._string(c[0]))

    def territory(self, c: list[Token]) -> ast.Expr:
        return ast.TerritoryLit(self._tspan(c[0]), str(c[0]))

    def worldwide(self, c: list[Token]) -> ast.Expr:
        return ast.TerritoryLit(self._tspan(c[0]), "worldwide")

    def party(self, c: list[Token]) -> ast.Expr:
        return ast.PartyLit(self._tspan(c[0]), str(c[0]))

    def true(self, c: list[Any]) -> ast.Expr:
        return ast.BoolLit(self._span(c), True)

    def false(self, c: list[Any]) -> ast.Expr:
        return ast.BoolLit(self._span(c), False)

    def name(self, c: list[Any]) -> ast.Expr:
        t = c[0]  # `_tspan` inlined: names and paths are the most frequent nodes
        return ast.Name(
            _span(Span, (self.file_path, t.line, t.column, t.end_line, t.end_column)), str(t)
        )

    def path(self, c: list[Token]) -> ast.Path:
        return self.path_of(c[0])

    # -------------------------------------------------------------- operators
    def _binary(self, op: str, c: list[Any]) -> ast.Expr:
        return self._nested(ast.Binary(self._span(c), op, c[0], c[1]), c)

    def add(self, c: list[Any]) -> ast.Expr:
        return self._binary("+", c)

    def sub(self, c: list[Any]) -> ast.Expr:
        return self._binary("-", c)

    def mul(self, c: list[Any]) -> ast.Expr:
        return self._binary("*", c)

    def div(self, c: list[Any]) -> ast.Expr:
        return self._binary("/", c)

    def neg(self, c: list[Any]) -> ast.Expr:
        return self._nested(ast.Negate(self._span(c), c[0]), c)

    def _compare(self, op: str, c: list[Any]) -> ast.Expr:
        return self._nested(ast.Compare(self._span(c), op, c[0], c[-1]), c)

    def is_(self, c: list[Any]) -> ast.Expr:
        return self._compare("is", c)

    def is_not(self, c: list[Any]) -> ast.Expr:
        return self._compare("is not", c)

    def in_(self, c: list[Any]) -> ast.Expr:
        return self._compare("in", c)

    def not_in(self, c: list[Any]) -> ast.Expr:
        return self._compare("not in", c)

    def compare(self, c: list[Any]) -> ast.Expr:
        return self._nested(ast.Compare(self._span(c), str(c[1]), c[0], c[2]), c)

    def _logical(self, op: str, c: list[Any]) -> ast.Expr:
        operands: list[ast.Expr] = []
        for item in c:
            if isinstance(item, ast.Logical) and item.op == op:
                operands.extend(item.operands)
                self.absorbed.append(item)
            else:
                operands.append(item)
        return self._nested(ast.Logical(self._span(c), op, tuple(operands)), operands)

    def and_(self, c: list[Any]) -> ast.Expr:
        return self._logical("and", c)

    def or_(self, c: list[Any]) -> ast.Expr:
        return self._logical("or", c)

    def not_(self, c: list[Any]) -> ast.Expr:
        return self._nested(ast.Not(self._span(c), c[1]), c)

    def set_literal(self, c: list[Any]) -> ast.Expr:
        items = (c[0], *c[1])
        return self._nested(ast.SetLit(self._span(c), items), items)

    def call(self, c: list[Any]) -> ast.Expr:
        arguments = tuple(c[1])
        return self._nested(
            ast.Call(self._span(c), str(c[0]), self._tspan(c[0]), arguments), arguments
        )

    def per_unit(self, c: list[Any]) -> ast.Expr:
        return self._nested(ast.PerUnit(self._span(c), c[0], str(c[1]), self._tspan(c[1])), c)

    def tiered(self, c: list[Any]) -> ast.Expr:
        tiers = tuple(c[1:])
        node = ast.Tiered(self._span(c), c[0], tiers)
        return self._nested(node, (c[0], *(tier.rate for tier in tiers)))

    def tier_upto(self, c: list[Any]) -> ast.Tier:
        return ast.Tier(Decimal(self._digits(c[0])), c[1], self._span(c))

    def tier_above(self, c: list[Any]) -> ast.Tier:
        return ast.Tier(None, c[0], self._span(c))

    def expr_list(self, c: list[Any]) -> list[Any]:
        return c

    # -------------------------------------------------------------- lists
    def name_list(self, c: list[Token]) -> list[ast.Name]:
        return [ast.Name(self._tspan(t), str(t)) for t in c]

    def id_list(self, c: list[Token]) -> list[ast.PartyLit]:
        return [ast.PartyLit(self._tspan(t), str(t)) for t in c]

    def territory_names(self, c: list[Token]) -> list[ast.TerritoryLit]:
        return [ast.TerritoryLit(self._tspan(t), str(t)) for t in c]

    # -------------------------------------------------------------- effects
    def each_performer(self, c: list[Any]) -> ast.Subject:
        return ast.Subject("each_performer", self._span(c), path=self.path_of(c[-1]))

    def each_artist(self, c: list[Any]) -> ast.Subject:
        return ast.Subject("each_artist", self._span(c), path=self.path_of(c[-1]))

    def each_work(self, c: list[Any]) -> ast.Subject:
        return ast.Subject("each_work", self._span(c), path=self.path_of(c[-1]))

    def where(self, c: list[Any]) -> tuple[str, Any]:
        return ("where", c[0])

    def consent_cap(self, c: list[Any]) -> tuple[str, Any]:
        return ("cap", self._duration(c[0]))

    def minor_terms(self, c: list[Any]) -> tuple[str, Any]:
        formalities: tuple[frozenset[str], ...] = ()
        cap = None
        for item in c:
            if isinstance(item, tuple) and item and item[0] == "cap":
                cap = item[1]
            elif isinstance(item, tuple):
                formalities = item
        span = cap.span if cap is not None else Span(self.file_path, 0, 0)
        return ("minors", ast.MinorTerms(formalities, cap, span))

    @staticmethod
    def _with_where(subject: ast.Subject, items: list[Any]) -> ast.Subject:
        for item in items:
            if isinstance(item, tuple) and item and item[0] == "where":
                return dataclasses.replace(subject, where=item[1])
        return subject

    def quantifier(self, c: list[Any]) -> ast.Expr:
        variable = str(c[1])
        node = ast.Quantifier(self._span(c), str(c[0]), variable, self.path_of(c[2]), c[3])
        return self._nested(node, (c[3],))

    def party_subject(self, c: list[Any]) -> ast.Subject:
        return ast.Subject("party", self._span(c), party=str(c[0]))

    def path_of(self, t: Any) -> ast.Path:
        span = _span(Span, (self.file_path, t.line, t.column, t.end_line, t.end_column))
        return ast.Path(span, tuple(t.split(".")))

    def purposes_path(self, c: list[Token]) -> ast.Path:
        return self.path_of(c[0])

    def purposes_named(self, c: list[list[ast.Name]]) -> tuple[ast.Name, ...]:
        return tuple(c[0])

    def formalities(self, groups: list[frozenset[str]]) -> tuple[frozenset[str], ...]:
        return tuple(groups)

    def formality_group(self, items: list[str]) -> frozenset[str]:
        return frozenset(items)

    def formality(self, _: list[Any]) -> str:  # pragma: no cover - aliases below
        return ""

    def in_writing(self, _: list[Any]) -> str:
        return "in_writing"

    def signed(self, _: list[Any]) -> str:
        return "signed"

    def specific_description(self, _: list[Any]) -> str:
        return "specific_description"

    def with_counsel(self, _: list[Any]) -> str:
        return "with_counsel"

    def terms_conspicuous(self, _: list[Any]) -> str:
        return "terms_conspicuous"

    def separately_signed(self, _: list[Any]) -> str:
        return "separately_signed"

    def collective_bargaining(self, _: list[Any]) -> str:
        return "collective_bargaining"

    def court_approved(self, _: list[Any]) -> str:
        return "court_approved"

    def permit(self, c: list[Any]) -> ast.AnyEffect:
        return ast.Permit(self._span(c), tuple(c[1]))

    def deny(self, c: list[Any]) -> ast.AnyEffect:
        return ast.Deny(self._span(c), self._string(c[1]) if len(c) > 1 else None)

    def require(self, c: list[Any]) -> ast.AnyEffect:
        subject = self._with_where(c[1], c[2:])
        purposes: ast.Path | tuple[ast.Name, ...] | None = None
        formalities: tuple[frozenset[str], ...] = ()
        cap = None
        minors = None
        consenters = None
        exempt: tuple[frozenset[str], ...] = ()
        made_from = None
        for item in c[2:]:
            if isinstance(item, ast.Path) or (
                isinstance(item, tuple) and item and isinstance(item[0], ast.Name)
            ):
                purposes = item
            elif isinstance(item, tuple) and item and item[0] == "cap":
                cap = item[1]
            elif isinstance(item, tuple) and item and item[0] == "minors":
                minors = item[1]
            elif isinstance(item, tuple) and item and item[0] == "consenters":
                consenters = item[1]
            elif isinstance(item, tuple) and item and item[0] == "exempt":
                exempt = item[1]
            elif isinstance(item, tuple) and item and item[0] == "made_from":
                made_from = item[1]
            elif isinstance(item, tuple) and item and item[0] == "where":
                continue
            elif isinstance(item, tuple):
                formalities = item
        return ast.RequireConsent(
            self._span(c),
            subject,
            purposes,
            formalities,
            cap=cap,
            minors=minors,
            consenters=consenters,
            exempt=exempt,
            made_from=made_from,
        )

    def void(self, c: list[Any]) -> ast.AnyEffect:
        effect = self.require(c)
        assert isinstance(effect, ast.RequireConsent)
        return dataclasses.replace(effect, void=True)

    def made_from(self, c: list[Any]) -> tuple[str, Any]:
        return ("made_from", self.date(c))

    def exempt_terms(self, c: list[Any]) -> tuple[str, Any]:
        return ("exempt", next(i for i in c if isinstance(i, tuple)))

    def consenters(self, c: list[str]) -> tuple[str, Any]:
        return ("consenters", tuple(dict.fromkeys(c)))

    def by_person(self, _: list[Any]) -> str:
        return consenters.PERSON

    def by_person_even_minor(self, _: list[Any]) -> str:
        return consenters.PERSON_EVEN_MINOR

    def by_guardian(self, _: list[Any]) -> str:
        return consenters.GUARDIAN

    def by_estate(self, _: list[Any]) -> str:
        return consenters.ESTATE

    def by_bargaining_representative(self, _: list[Any]) -> str:
        return consenters.BARGAINING_REPRESENTATIVE

    def by_authorised_licensee(self, _: list[Any]) -> str:
        return consenters.AUTHORISED_LICENSEE

    def require_licence(self, c: list[Any]) -> ast.AnyEffect:
        return ast.RequireLicence(self._span(c), self._with_where(c[1], c[2:]))

    def risk(self, c: list[Any]) -> ast.AnyEffect:
        return ast.Risk(self._span(c), self._string(c[1]))

    def pay(self, c: list[Any]) -> ast.AnyEffect:
        return ast.Pay(self._span(c), c[1], self._with_where(c[2], c[3:]))

    def pay_nothing(self, c: list[Any]) -> ast.AnyEffect:
        return ast.Pay(self._span(c), None, None)

    def oblige(self, c: list[Any]) -> ast.AnyEffect:
        met = c[2] if len(c) > 2 else None
        return ast.Oblige(self._span(c), self._string(c[1]), met)

    # -------------------------------------------------------------- provision items
    def cite(self, c: list[Token]) -> tuple[str, Any]:
        return ("cite", self._string(c[0]))

    def notwithstanding(self, refs: list[ast.Reference]) -> tuple[str, Any]:
        return ("notwithstanding", tuple(refs))

    def clause_reference(self, c: list[Token]) -> ast.Reference:
        return ast.Reference("clause", str(c[0]), self._tspan(c[0]))

    def rule_reference(self, c: list[Token]) -> ast.Reference:
        return ast.Reference("rule", self._string(c[0]), self._tspan(c[0]))

    def when(self, c: list[ast.Expr]) -> tuple[str, Any]:
        return ("when", c[0])

    def unless(self, c: list[ast.Expr]) -> tuple[str, Any]:
        return ("unless", c[0])

    def _provision(self, kind: str, key: Token, c: list[Any]) -> ast.Provision:
        title = None
        if c and isinstance(c[0], Token) and c[0].type == "STRING":
            title = self._string(c[0])
            c = c[1:]
        fields: dict[str, list[Any]] = {"when": [], "unless": [], "notwithstanding": []}
        cite: str | None = None
        effects: list[ast.AnyEffect] = []
        for item in c:
            if isinstance(item, ast.AnyEffect):
                effects.append(item)
            elif item[0] == "cite":
                cite = item[1]
            elif item[0] == "notwithstanding":
                fields["notwithstanding"].extend(item[1])
            else:
                fields[item[0]].append(item[1])
        key_text = self._string(key) if kind == "rule" else str(key)
        return ast.Provision(
            kind=kind,
            key=key_text,
            title=title,
            span=self._span([key, *c]),
            key_span=self._tspan(key),
            cite=cite,
            notwithstanding=tuple(fields["notwithstanding"]),
            when=tuple(fields["when"]),
            unless=tuple(fields["unless"]),
            effects=tuple(effects),
        )

    def clause(self, c: list[Any]) -> ast.Provision:
        return self._provision("clause", c[0], c[1:])

    def rule(self, c: list[Any]) -> ast.Provision:
        return self._provision("rule", c[0], c[1:])

    # -------------------------------------------------------------- block items
    def parameter(self, c: list[Any]) -> ast.Parameter:
        above = c[2] if len(c) > 2 else None
        return ast.Parameter(str(c[0]), c[1], self._span(c), above)

    def above_whole(self, c: list[Any]) -> ast.Expr:
        return self.percent(c)

    def definition(self, c: list[Any]) -> ast.Definition:
        return ast.Definition(str(c[0]), c[1], self._span(c))

    def fact_decl(self, c: list[Any]) -> ast.FactDecl:
        doc = self._string(c[2]) if len(c) > 2 else None
        return ast.FactDecl(str(c[0]), str(c[1]), doc, self._span(c), self._tspan(c[1]))

    def purposes_decl(self, c: list[Any]) -> tuple[str, Any]:
        return ("purposes", [ast.NameDecl(n.name, n.span) for n in c[0]])

    def contexts_decl(self, c: list[Any]) -> tuple[str, Any]:
        return ("contexts", [ast.NameDecl(n.name, n.span) for n in c[0]])

    def group_decl(self, c: list[Any]) -> ast.GroupDecl:
        return ast.GroupDecl(str(c[0]), tuple(c[1]), self._span(c))

    def _header(self, kind: str, c: list[Any], *values: object) -> ast.Header:
        return ast.Header(kind, self._span(c), tuple(values))

    def licensor(self, c: list[Any]) -> ast.Header:
        return self._header("licensor", c, ast.PartyLit(self._tspan(c[0]), str(c[0])))

    def licensee(self, c: list[Any]) -> ast.Header:
        return self._header("licensee", c, ast.PartyLit(self._tspan(c[0]), str(c[0])))

    def effective_open(self, c: list[Any]) -> ast.Header:
        return self._header("effective", c, self._date(c[0]), None)

    def effective_for(self, c: list[Any]) -> ast.Header:
        return self._header("effective", c, self._date(c[0]), self._duration(c[1]))

    def effective_until(self, c: list[Any]) -> ast.Header:
        return self._header("effective", c, self._date(c[0]), self._date(c[1]))

    def territory_decl(self, c: list[Any]) -> ast.Header:
        return self._header("territory", c, tuple(c[0]), tuple(c[1]) if len(c) > 1 else ())

    def scope_catalogue(self, c: list[Any]) -> ast.Header:
        return self._header("scope", c, "catalogue", (ast.PartyLit(self._tspan(c[0]), str(c[0])),))

    def scope_works(self, c: list[Any]) -> ast.Header:
        return self._header("scope", c, "works", tuple(c[0]))

    def scope_all(self, c: list[Any]) -> ast.Header:
        return self._header("scope", c, "all", ())

    def applies(self, c: list[Any]) -> tuple[str, Any]:
        return ("applies", c[0])

    def text_decl(self, c: list[Any]) -> ast.Header:
        return self._header("text", c, self._string(c[0]))

    def in_force(self, c: list[Any]) -> ast.Header:
        return self._header(
            "in_force", c, self._date(c[0]), self._date(c[1]) if len(c) > 1 else None
        )

    def proposed(self, c: list[Any]) -> ast.Header:
        if len(c) > 1:
            return self._header("proposed", c, self._duration(c[1]))
        return self._header("proposed", c)

    # -------------------------------------------------------------- blocks
    def _block(self, kind: str, c: list[Any]) -> ast.Block:
        name_token = c[0]
        rest = list(c[1:])
        if rest and isinstance(rest[-1], list):
            rest = rest[:-1] + rest[-1]
        title = None
        if rest and isinstance(rest[0], Token) and rest[0].type == "STRING":
            title = self._string(rest[0])
            rest = rest[1:]
        buckets: dict[str, list[Any]] = {
            k: []
            for k in (
                "headers",
                "parameters",
                "definitions",
                "facts",
                "provisions",
                "purposes",
                "contexts",
                "groups",
                "applies",
            )
        }
        for item in rest:
            if isinstance(item, ast.Header):
                buckets["headers"].append(item)
            elif isinstance(item, ast.Parameter):
                buckets["parameters"].append(item)
            elif isinstance(item, ast.Definition):
                buckets["definitions"].append(item)
            elif isinstance(item, ast.FactDecl):
                buckets["facts"].append(item)
            elif isinstance(item, ast.Provision):
                buckets["provisions"].append(item)
            elif isinstance(item, ast.GroupDecl):
                buckets["groups"].append(item)
            elif item[0] in ("purposes", "contexts"):
                buckets[item[0]].extend(item[1])
            elif item[0] == "applies":
                buckets["applies"].append(item[1])
        return ast.Block(
            kind=kind,
            name=self._string(name_token),
            title=title,
            span=self._span(c),
            name_span=self._tspan(name_token),
            **{k: tuple(v) for k, v in buckets.items()},
        )

    def vocabulary(self, c: list[Any]) -> ast.Block:
        return self._block("vocabulary", c)

    def contract(self, c: list[Any]) -> ast.Block:
        return self._block("contract", c)

    def jurisdiction(self, c: list[Any]) -> ast.Block:
        return self._block("jurisdiction", c)

    def start(self, c: list[list[ast.Block]]) -> list[ast.Block]:
        return c[0] if c else []

    def _append(self, c: list[Any], blocks: bool = False) -> list[Any]:
        # Left-recursive lists grow in place: Lark's own `item*` would copy the list
        # at every item, which is quadratic in the number of clauses.
        if len(c) == 1:
            return [c[0]]
        limit = MAX_BLOCKS_PER_FILE if blocks else MAX_ITEMS_PER_BLOCK
        if len(c[0]) >= limit:
            what = "blocks in a file" if blocks else "items in a block"
            raise _BadLiteral(None, f"there may be at most {limit:,} {what}", self._span(c[1:]))
        c[0].append(c[1])
        return c[0]  # type: ignore[no-any-return]

    def blocks(self, c: list[Any]) -> list[Any]:
        return self._append(c, blocks=True)

    def vocabulary_items(self, c: list[Any]) -> list[Any]:
        return self._append(c)

    def contract_items(self, c: list[Any]) -> list[Any]:
        return self._append(c)

    def jurisdiction_items(self, c: list[Any]) -> list[Any]:
        return self._append(c)


def _edge(items: list[Any] | tuple[Any, ...], last: bool) -> Any:
    """The first (or last) positioned `Token` or `Span` in `items`, looking into lists and
    tuples of children; None if there is none. Both have `line`, `column`, `end_…`."""
    for item in reversed(items) if last else items:
        if isinstance(item, Token):
            if item.line is not None:
                return item
            continue
        span = getattr(item, "span", None)
        if isinstance(span, Span) and span.line > 0:
            return span
        if isinstance(item, list | tuple) and item:
            found = _edge(item, last)
            if found is not None:
                return found
    return None


class _BadLiteral(ClausulaError):
    """A token (or, given `span`, a node) the parser refuses: a bad date, a limit passed."""

    def __init__(self, token: Token | None, message: str, span: Span | None = None) -> None:
        super().__init__(message)
        self.token, self.message, self.span = token, message, span


_lock = threading.Lock()
_UNESCAPE = re.compile(r"\\(.)")
_FOREIGN_BREAK = re.compile("[" + "".join(FOREIGN_BREAKS) + "]")


@lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _Builder, FastParser]:
    builder = _Builder()
    lark = cached_lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        transformer=builder,
        maybe_placeholders=False,
    )
    return lark, builder, FastParser(lark)


def _parse_blocks(text: str, path: str) -> list[ast.Block]:
    """The blocks of `text`, or Lark's exception for its first syntax error.

    The fast path (clausula.lexer) parses valid text; when it gives up, Lark parses the
    text again to raise the error it always raised. The cyclic garbage collector is off
    meanwhile: the parse only allocates, and the collector would walk the growing AST
    again and again for nothing.
    """
    with collector_paused(), _lock:
        lark, builder, fast = _parser()
        builder.file_path = path
        builder.forget_depths()
        try:
            blocks = fast.parse(text)
            if blocks is None:
                builder.forget_depths()  # the nodes of the failed parse are gone
                blocks = lark.parse(text)
        finally:
            builder.forget_depths()
        return blocks  # type: ignore[no-any-return]


# Words that start an item of a block: after a syntax error, the parser blanks out the item
# that holds the error and tries again, so that one mistake does not hide the others.
_ITEM_START = re.compile(
    r"^[ \t]*(clause|rule|parameter|define|fact|licensor|licensee|effective|territory|scope|"
    r"applies|text|in[ \t]+force|proposed|purposes|contexts|group)\b"
)
_BLOCK_START = re.compile(r"^[ \t]*(contract|jurisdiction|vocabulary)\b")
_MAX_SYNTAX_ERRORS = 50
# Items parsed together while looking for the ones with syntax errors (see `_recover`).
_RECOVERY_GROUP = 32


def parse(text: str, path: str) -> tuple[ast.SourceFile, list[Diagnostic]]:
    """Parse one clause file. Returns the AST of what parsed and every syntax error.

    Line ends are those of `clausula.lines`; the returned source holds the text with each
    written `\n`. Valid text is parsed once, on the fast path. Text with errors is recovered
    from by pieces (see `_recover`): each block, and each item of a block that does not
    parse, is parsed on its own, so that one mistake does not hide the others and a large
    file with a few errors costs a few parses of the whole, not one per error.
    """
    sink = DiagnosticSink()
    text = normalize(text)
    sink.add_source(path, text)
    if len(text) > MAX_FILE_CHARS:
        sink.error(
            Span(path, 1, 1),
            f"this file has {len(text):,} characters; a clause file may have at most "
            f"{MAX_FILE_CHARS:,}",
        )
        return ast.SourceFile(path, text, ()), sink.sorted()
    lines = text.split("\n")
    foreign = foreign_break(text)
    if foreign is None:
        try:
            blocks = _parse_blocks(text, path)
            return ast.SourceFile(path, text, tuple(blocks)), []
        except (UnexpectedInput, _BadLiteral):
            pass
        except Exception as error:  # a Lark internal error wrapping a bad literal
            if not isinstance(getattr(error, "orig_exc", None), _BadLiteral):
                raise
    else:
        at_line, column, name = foreign
        sink.error(
            Span(path, at_line, column, at_line, column + 1),
            f"{name} is not a line end in a clause file and may not appear in one; "
            "end lines with a newline",
        )
        lines = [_FOREIGN_BREAK.sub(" ", each) for each in lines]  # to find other errors
    work = list(lines)
    _recover(work, path, sink)
    for _ in range(_MAX_SYNTAX_ERRORS):
        # What the pieces missed (an item split where it should not be) is found the slow
        # way, as before: one error per parse of the whole, its item blanked out.
        try:
            blocks = _parse_blocks("\n".join(work), path)
            return ast.SourceFile(path, text, tuple(blocks)), sink.sorted()
        except Exception:
            failed = _parse_error(work, path, sink, 0, len(work))
        if failed is None or not _blank_item(work, failed):
            break
    return ast.SourceFile(path, text, ()), sink.sorted()


def _parse_error(
    lines: list[str], path: str, sink: DiagnosticSink, start: int, end: int, prefix: str = ""
) -> int | None:
    """Parse `lines[start:end]` (after `prefix`, a line of its own when given) and report its
    first syntax error in `sink`, placed in the whole file. The 1-based line of the error in
    the file, or None when the piece parses."""
    piece = lines[start:end]
    head = [prefix] if prefix else []
    # Lines of the piece as the parser numbers them, and the offset back to the file's.
    shift = start - len(head)
    chunk = [*head, *piece]
    chunk_text = "\n".join(chunk)
    try:
        _parse_blocks(chunk_text, path)
        return None
    except _BadLiteral as bad:
        return _literal_error(bad, path, sink, shift)
    except UnexpectedInput as error:
        error, seen = _incomplete_line(error, chunk)
        line, column = _position(error, seen)
        more = len(seen) < len(chunk) or any(_code_end(x) for x in lines[end:])
        width = _token_width(error, seen, line)
        sink.error(
            Span(path, line + shift, column, line + shift, column + width),
            _syntax_message(error, seen, more),
        )
        return line + shift
    except Exception as error:  # a Lark internal error wrapping ours
        inner = getattr(error, "orig_exc", None)
        if isinstance(inner, _BadLiteral):
            return _literal_error(inner, path, sink, shift)
        raise


def _literal_error(bad: _BadLiteral, path: str, sink: DiagnosticSink, shift: int) -> int:
    """Report a refused literal or node of a piece at its place in the whole file."""
    span = bad.span
    if span is None:
        token = bad.token
        line, column = (token.line or 1, token.column or 1) if token is not None else (1, 1)
        span = Span(path, line, column, line, column + len(str(token or "")))
    span = Span(path, span.line + shift, span.column, span.end_line + shift, span.end_column)
    sink.error(span, bad.message)
    return span.line


def _token_width(error: UnexpectedInput, lines: list[str], line: int) -> int:
    """How many columns the caret covers: the whole unexpected word, or one character."""
    if isinstance(error, UnexpectedToken) and not _ends_early(error):
        token = error.token
        if token.line == token.end_line and token.end_column and token.column:
            return max(1, int(token.end_column) - int(token.column))
    return 1


def _recover(lines: list[str], path: str, sink: DiagnosticSink) -> None:
    """Report the syntax errors of `lines` and blank out the items that hold them.

    Each block is parsed alone; in a block that does not parse, the head (`contract "…"`)
    and each item are parsed alone, an item behind a line naming the block's kind. An item
    with an error is blanked out; a head with an error blanks out its whole block. Items are
    independent in the grammar, so a piece that parses alone parses in place.
    """
    starts = [i for i, line in enumerate(lines) if _BLOCK_START.match(line)]
    if not starts or any(_code_end(x) for x in lines[: starts[0]]):
        # Text before the first block: not a block at all.
        end = starts[0] if starts else len(lines)
        if _parse_error(lines, path, sink, 0, end) is not None:
            _blank(lines, 0, end)
    reported = 0
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        if reported >= _MAX_SYNTAX_ERRORS:
            return
        whole = len(starts) == 1 and not any(_code_end(x) for x in lines[:start])
        if not whole and _fast_parses("\n".join(lines[start:end]), path):
            continue  # (a file of one block is known not to parse)
        items = [i for i in range(start + 1, end) if _ITEM_START.match(lines[i])]
        kind = _BLOCK_START.match(lines[start])
        assert kind is not None
        prefix = f'{kind.group(1)} "recovery"'
        head_end = items[0] if items else end
        head_broken = _parse_error(lines, path, sink, start, head_end) is not None
        bounds = [*items, end]
        # Items in groups first: most of a large block is valid, and a parse has a cost of
        # its own; only the items of a group that does not parse are parsed one by one.
        for group in range(0, len(items), _RECOVERY_GROUP):
            first, last = bounds[group], bounds[min(group + _RECOVERY_GROUP, len(items))]
            if _fast_parses("\n".join([prefix, *lines[first:last]]), path):
                continue
            for position in range(group, min(group + _RECOVERY_GROUP, len(items))):
                item, item_end = bounds[position], bounds[position + 1]
                if _parse_error(lines, path, sink, item, item_end, prefix) is not None:
                    reported += 1
                    _blank(lines, item, item_end)
        if head_broken:
            reported += 1
            _blank(lines, start, end)


def _fast_parses(text: str, path: str) -> bool:
    """Whether the fast path parses `text` (False also when it cannot tell: the pieces are
    then parsed one by one, which finds the same)."""
    with collector_paused(), _lock:
        _, builder, fast = _parser()
        builder.file_path = path
        try:
            return fast.parse(text) is not None
        except Exception:  # a bad literal
            return False


def _blank(lines: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        lines[i] = ""


# A line that starts an item or a provision's part. When the parser stumbles on one, the
# line before it may be what is incomplete (`oblige` with no text, `when x is` with nothing
# after it): the keyword was then read as the missing word, or as unexpected.
_LINE_START = re.compile(
    _ITEM_START.pattern
    + "|"
    + _BLOCK_START.pattern
    + r"|^[ \t]*(cite|notwithstanding|when|unless|permit|deny|require|pay|oblige)\b"
)
_LAST_WORD = re.compile(r'("(?:[^"\\\n]|\\.)*"|[\w.:%-]+|\S)$')
# How much of a line's end `_LAST_WORD` looks at, and of a word a message quotes: a search
# anchored at the end still starts at every position, which on a line of a million
# characters would take hours.
_SHOWN_WORD = 60


def _shown(word: str) -> str:
    return word if len(word) <= _SHOWN_WORD else word[: _SHOWN_WORD - 1] + "…"


def _ends_early(error: UnexpectedInput) -> bool:
    return isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    )


def _incomplete_line(error: UnexpectedInput, lines: list[str]) -> tuple[UnexpectedInput, list[str]]:
    """The error to report and the lines it is about: when the text before the line of
    `error` ends in the middle of an item and that line starts a new one, the problem is
    the end of the text before."""
    line = getattr(error, "line", -1)
    if _ends_early(error) or not isinstance(line, int) or not 2 <= line <= len(lines):
        return error, lines
    if not _LINE_START.match(lines[line - 1]):
        return error, lines
    before = lines[: line - 1]
    try:
        with _lock:
            _parser()[0].parse("\n".join(before))
    except UnexpectedInput as early:
        if _ends_early(early):
            return early, before
    except Exception:  # the text before has a bad literal: report the original error
        pass
    return error, lines


def _code_end(text: str) -> int:
    """The length of `text` without its comment and trailing blanks."""
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            escaped = char == "\\" and not escaped
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char == "#":
            return len(text[:index].rstrip())
    return len(text.rstrip())


def _last_code(lines: list[str]) -> tuple[int, str]:
    """The 0-based index and the text without comment of the last line that has code."""
    for index in range(len(lines) - 1, -1, -1):
        code = lines[index][: _code_end(lines[index])]
        if code.strip():
            return index, code
    return 0, ""


def _position(error: UnexpectedInput, lines: list[str]) -> tuple[int, int]:
    if _ends_early(error) or getattr(error, "line", -1) in (-1, None):
        index, code = _last_code(lines)
        return index + 1, len(code) + 1
    return int(error.line), int(error.column)


def _blank_item(lines: list[str], line: int) -> bool:
    """Replace the item around `line` (1-based) by blank lines. False if nothing changed."""
    index = min(max(line - 1, 0), len(lines) - 1)
    if not lines or not "".join(lines).strip():
        return False
    start = index
    while start > 0 and not (_ITEM_START.match(lines[start]) or _BLOCK_START.match(lines[start])):
        start -= 1
    pattern = _BLOCK_START if _BLOCK_START.match(lines[start]) else _ITEM_START
    end = index + 1
    while end < len(lines) and not (pattern.match(lines[end]) or _BLOCK_START.match(lines[end])):
        end += 1
    changed = False
    for i in range(start, end):
        if lines[i]:
            lines[i] = ""
            changed = True
    return changed


_WORDS = {
    "STRING": "a quoted string",
    "NAME": "a name",
    "PATH": "a field such as `use.purpose`",
    "ID": "a party or work id such as `party:aria-labs`",
    "DATE": "a date such as 2026-01-01",
    "MONEY": "an amount such as `0.50 USD`",
    "PERCENT": "a percentage such as `12.5%`",
    "DURATION": "a duration such as `3 years`",
    "NUMBER": "a number",
    "CLAUSE_NUMBER": "a clause number such as 5.1",
    "TERRITORY": "a territory code such as `US-TN`",
    "WORLDWIDE": "`worldwide`",
    "COMPARATOR": "a comparison",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "COMMA": "`,`",
    "EQUAL": "`=`",
    "COLON": "`:`",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "$END": "the end of the file",
}


def _describe_token(name: str) -> str:
    if name in _WORDS:
        return _WORDS[name]
    return f"`{name.lower()}`"


# `rule` in a contract, `clause` in a jurisdiction: the word the block expects, and why.
_PROVISION_WORDS = {
    "RULE": ("CLAUSE", 'a contract has numbered clauses, not rules: write `clause 5.1 "Title"`'),
    "CLAUSE": ("RULE", 'a jurisdiction has rules, not clauses: write `rule "art. 1" "Title"`'),
}


def _syntax_message(error: UnexpectedInput, lines: list[str], more: bool = False) -> str:
    """One sentence for a syntax error; `more` when text follows `lines` (not the file's end)."""
    if isinstance(error, UnexpectedCharacters):
        char = lines[error.line - 1][error.column - 1] if error.line - 1 < len(lines) else "?"
        if char == '"':
            return 'this string is not closed: add a `"` before the end of the line'
        return f"`{char}` cannot appear here"
    expected_names = getattr(error, "expected", None) or ()
    expected = sorted({_describe_token(t) for t in expected_names if not t.startswith("__")})
    wanted = f"; expected {_join_or(expected)}" if expected and len(expected) <= 6 else ""
    if _ends_early(error):
        _, code = _last_code(lines)
        last = _LAST_WORD.search(code[-_SHOWN_WORD:])
        after = f" after `{last.group(1)}`" if last else ""
        if more:
            return f"something is missing{after}" + wanted
        return f"the file ends too soon: something is missing{after}" + wanted
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type in _PROVISION_WORDS and _PROVISION_WORDS[token.type][0] in expected_names:
            return _PROVISION_WORDS[token.type][1]
        hint = ""
        if token.type == "NAME":
            keywords = [t.lower() for t in expected_names if t.isalpha() and t.isupper()]
            suggestion = did_you_mean(str(token), keywords) if len(token) <= _SHOWN_WORD else None
            hint = f"; {suggestion}" if suggestion else ""
        return f"`{_shown(str(token))}` is not expected here" + (hint or wanted)
    return "this cannot be read"


def _join_or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
