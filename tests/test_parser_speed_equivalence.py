"""The fast parse path (clausula.lexer) builds exactly the AST that Lark itself builds.

References: Lark's own LALR loop and contextual lexer with the same builder (what
`parse` falls back to), and a plain Lark parse tree walked by the builder afterwards
(no fast path, no in-parse callbacks at all).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark
from lark.exceptions import LarkError
from lark.visitors import Transformer_NonRecursive

from clausula import ast
from clausula.diagnostics import Span
from clausula.parser import _Builder, _parser, grammar_text, parse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from decide import generated_clauses  # noqa: E402


def dump(node: Any) -> Any:
    """Every field of every node, recursively, spans included, with types."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = dataclasses.fields(node)
        return (type(node).__name__, *((f.name, dump(getattr(node, f.name))) for f in fields))
    if isinstance(node, list | tuple):
        return (type(node).__name__, *(dump(item) for item in node))
    if isinstance(node, frozenset):
        return ("frozenset", *sorted(node))
    return (type(node).__name__, node)


def _fast(text: str, path: str = "t.clause") -> Any:
    _, builder, fast = _parser()
    builder.file_path = path
    return fast.parse(text)


def _lark(text: str, path: str = "t.clause") -> Any:
    lark, builder, _ = _parser()
    builder.file_path = path
    return lark.parse(text)


_plain = Lark(grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=False)


def _tree_walk(text: str, path: str = "t.clause") -> Any:
    builder = _Builder()
    builder.file_path = path
    # Lark's non-recursive walk: the tree of a long contract is thousands of levels deep
    return Transformer_NonRecursive.transform(builder, _plain.parse(text))


def _shipped() -> dict[str, str]:
    texts = {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "policies").rglob("*.clause"))
    }
    for doc in sorted((ROOT / "docs").rglob("*.md")):
        for i, block in enumerate(re.findall(r"```clause\n(.*?)```", doc.read_text(), re.S)):
            texts[f"{doc.relative_to(ROOT)}#{i}"] = block
    texts["generated-1000"] = generated_clauses(1000)
    return texts


SHIPPED = _shipped()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_files_parse_to_the_same_ast(name: str) -> None:
    text = SHIPPED[name]
    try:
        reference = _lark(text, name)
    except LarkError:  # a docs block showing an error: the fast path must give up too
        assert _fast(text, name) is None
        return
    fast = _fast(text, name)
    assert fast is not None, "valid text must not need Lark's slow path"
    assert dump(fast) == dump(reference)
    assert dump(fast) == dump(_tree_walk(text, name))


def test_policies_are_found() -> None:
    assert any(name.startswith("policies/") for name in SHIPPED)
    assert len(SHIPPED["generated-1000"]) > 50_000


def _expr(text: str) -> ast.Expr:
    source, errors = parse(f'contract "c"\n  parameter p = {text}\n', "e.clause")
    assert errors == []
    return source.blocks[0].parameters[0].value


def test_precedence_and_spans() -> None:
    # or < and < not < comparison < + - < * / < unary - < per < atoms
    expr = _expr("a or b and not c is d + e * -f per work")
    assert isinstance(expr, ast.Logical) and expr.op == "or"
    a, rest = expr.operands
    assert isinstance(a, ast.Name) and a.name == "a"
    assert a.span == Span("e.clause", 2, 17, 2, 18)
    assert isinstance(rest, ast.Logical) and rest.op == "and"
    b, negation = rest.operands
    assert isinstance(b, ast.Name) and b.name == "b"
    assert isinstance(negation, ast.Not)
    compare = negation.operand
    assert isinstance(compare, ast.Compare) and compare.op == "is"
    assert isinstance(compare.left, ast.Name) and compare.left.name == "c"
    total = compare.right
    assert isinstance(total, ast.Binary) and total.op == "+"
    assert isinstance(total.left, ast.Name) and total.left.name == "d"
    product = total.right
    assert isinstance(product, ast.Binary) and product.op == "*"
    negate = product.right
    assert isinstance(negate, ast.Negate)
    per = negate.operand
    assert isinstance(per, ast.PerUnit) and per.unit == "work"
    assert isinstance(per.rate, ast.Name) and per.rate.name == "f"
    # spans run from the first kept token to the last: `not` is kept, `-` is not
    assert expr.span == Span("e.clause", 2, 17, 2, 56)
    assert rest.span == Span("e.clause", 2, 22, 2, 56)
    assert negation.span == Span("e.clause", 2, 28, 2, 56)
    assert compare.span == Span("e.clause", 2, 32, 2, 56)
    assert total.span == Span("e.clause", 2, 37, 2, 56)
    assert product.span == Span("e.clause", 2, 41, 2, 56)
    assert negate.span == Span("e.clause", 2, 46, 2, 56)
    assert per.unit_span == Span("e.clause", 2, 52, 2, 56)


def test_associativity() -> None:
    left = _expr("1 - 2 - 3")
    assert isinstance(left, ast.Binary) and isinstance(left.left, ast.Binary)
    assert isinstance(left.right, ast.NumberLit) and left.right.value == Decimal(3)
    flat = _expr("a and b and c or d or e")
    assert isinstance(flat, ast.Logical) and flat.op == "or" and len(flat.operands) == 3
    first = flat.operands[0]
    assert isinstance(first, ast.Logical) and first.op == "and" and len(first.operands) == 3
    rate = _expr("x per a per b")
    assert isinstance(rate, ast.PerUnit) and rate.unit == "b"
    assert isinstance(rate.rate, ast.PerUnit) and rate.rate.unit == "a"


def test_comparisons_are_not_associative() -> None:
    _, errors = parse('contract "c"\n  parameter p = a < b < c\n', "e.clause")
    assert len(errors) == 1 and errors[0].span.line == 2


def test_keywords_as_names_where_lark_reads_them_so() -> None:
    # the contextual lexer reads `text` as a NAME after `fact`: the fast path must too
    text = 'vocabulary "v"\n  fact text: string "doc"\n'
    fast = _fast(text)
    assert fast is not None
    assert dump(fast) == dump(_lark(text))


# ------------------------------------------------------------------ random expressions

_atoms = st.sampled_from(
    [
        "a", "use.purpose", "12", "1.5", "30%", "0.50 USD", "3 years", "1 day", '"s\\"q"',
        "US", "US-TN", "worldwide", "party:x-1", "true", "false", "2026-01-01",
        "max(a, 2)", "(a, b)", "tiered use.count up to 10 at 1 above at 2",
    ]
)  # fmt: skip
_binary = st.sampled_from(
    [
        "or",
        "and",
        "is",
        "is not",
        "in",
        "not in",
        "<",
        "<=",
        ">",
        ">=",
        "=",
        "!=",
        "+",
        "-",
        "*",
        "/",
    ]
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, _binary, children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda e: f"not {e}"),
        children.map(lambda e: f"-{e}"),
        children.map(lambda e: f"({e})"),
        children.map(lambda e: f"{e} per work"),
        st.tuples(children, children).map(lambda t: f"f({t[0]}, {t[1]})"),
    )


_exprs = st.recursive(_atoms, _combine, max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exprs, st.sampled_from([" ", "  ", "\n    ", " # note\n  "]))
def test_random_expressions_parse_the_same(expr: str, gap: str) -> None:
    text = f'contract "c"\n  parameter p ={gap}{expr}\n  clause 1\n    when{gap}{expr}\n    deny\n'
    try:
        reference = dump(_lark(text))
    except Exception:  # not valid (`a < b < c`, a bad date …): the fast path gives up or raises
        try:
            assert _fast(text) is None
        except LarkError:
            pytest.fail("the fast path must not raise Lark errors")
        except Exception:
            pass  # the same bad literal the builder reports through Lark
        return
    fast = _fast(text)
    assert fast is not None
    assert dump(fast) == reference


_pieces = st.sampled_from(
    [
        "contract", "jurisdiction", "vocabulary", '"x"', "clause", "1.2", "rule", "when",
        "permit", "deny", "pay", "to", "a", "b.c", "(", ")", ",", "is", "not", "in", "and",
        "<", "=", "12", "\n", " ", "#c\n", "party:p", "US", "nothing", "@", '"', "text", "fact",
        ":", "per",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=25).map(" ".join))
def test_random_text_is_accepted_by_both_or_neither(text: str) -> None:
    try:
        reference = dump(_lark(text))
    except Exception:
        try:
            assert _fast(text) is None
        except LarkError:
            pytest.fail("the fast path must not raise Lark errors")
        except Exception:
            pass
        return
    fast = _fast(text)
    assert fast is not None
    assert dump(fast) == reference
