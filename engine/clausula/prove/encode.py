"""A checked and compiled policy set as z3 formulas, following `decide.plan` and `price`.

The expressions are encoded from the checked AST the compiler compiles, with the compiled
blocks' parameter values, territory sets, terms and set-aside targets; the procedure
(Kleene conditions, `when` lines in order, the first `unless` that holds, `notwithstanding`
in the checker's order, deny over permit, the first contract that licenses, opt-in) is the
one `decide.py` runs, written as formulas.

What depends on works, artists, attribution, and the records read through them (catalogue,
parties, consent grants), is an *atom*: a free variable with the value it has for a use
that names no work and no artist (its *closed* value), and, where it is known without
reading a record's details, the value it has for a use *with people*: one work, performed
by one artist who is the use's artist with all the attribution, held by the contract's
licensor, and one grant of that artist covering the use (`records`; its *peopled* value).
Universal claims ("this clause can never apply") are proved with atoms free, so they hold
for every use and every record; witnesses are searched with atoms at their closed (or
peopled) values, so the engine can re-decide them (with the witness's records).
An expression the encoding cannot follow exactly (calendar months on a symbolic date, a
money fact, a mixed currency) is an atom with no closed value, and named in `unencoded`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, assert_never

import z3

from .. import ast
from ..checker import CheckedBlock, CheckedPolicy
from ..compiled import CompiledBlock, CompiledPolicy
from ..durations import Duration, shifted
from ..errors import ClausulaError
from ..money import Money
from .space import Space


class NotEncoded(ClausulaError):
    """An expression the encoding does not follow exactly."""


@dataclass
class Atom:
    """A part of the use the encoding leaves free (see the module's docstring)."""

    key: str
    var: Any
    closed: Any  # z3 value for a use with no works or artists; None: not encoded
    reason: str
    counts: bool = False  # a number of works or artists: never negative
    peopled: Any = None  # z3 value for a use with one work, one artist, one grant; None: free


@dataclass
class Sym:
    """An encoded value: `value` when `defined` (a missing fact makes it undefined)."""

    kind: str  # bool | num | date | money | purpose | name | string | territory | party | ...
    value: Any = None
    defined: Any = field(default_factory=lambda: z3.BoolVal(True))
    const: Any = None  # the Python value when it does not depend on the use
    currency: str | None = None
    items: tuple[Sym, ...] = ()  # a set literal's members
    territory_set: Any = None  # a TerritorySet for `in` tests
    fact: str | None = None  # the fact a value reads (string facts compare by literal)


TRUE = z3.BoolVal(True)
FALSE = z3.BoolVal(False)
#: The collections of a use with people that hold exactly one member (see the docstring).
PEOPLED_COLLECTIONS = frozenset({"use.works", "use.artists", "use.attribution", "use.touched"})


def holds(sym: Sym) -> Any:
    """`condition_holds`: true only when defined and true (a missing fact: false)."""
    return z3.And(sym.defined, sym.value)


@dataclass
class PayTerm:
    """One payment effect of a provision: who, and the exact amount (all payees together)."""

    payee: str  # a party id, or the subject's description for `to each …`
    amount: Any  # z3 Real (amount in `currency`)
    revenue_part: Any  # the same with every fixed amount and count at zero
    currency: str
    each: bool
    nonempty: Any  # z3 Bool: there is someone to pay
    span: ast.Expr | None
    extremes: list[tuple[ast.Call, list[Any]]] = field(default_factory=list)
    split: str | None = None  # `weight` or `share` when the amount is split among the payees


@dataclass
class ProvisionSym:
    index: int
    node: ast.Provision
    label: str
    when: Any  # z3 Bool: every `when` line holds
    unless: list[Any]  # z3 Bool per `unless` line: it holds
    holds: Any  # when and no unless
    active: Any = None  # holds and not set aside
    permits: frozenset[str] = frozenset()
    denies: bool = False
    blocks: Any = FALSE  # a requirement of this provision is unmet (consent, licence)
    pays: list[PayTerm] = field(default_factory=list)
    atoms: set[str] = field(default_factory=set)


@dataclass
class BlockSym:
    checked: CheckedBlock
    compiled: CompiledBlock
    applies: Any  # for a contract, without the licensee: term, territory, scope, applies when
    provisions: list[ProvisionSym]
    permitted: Any = FALSE
    blocked: Any = FALSE
    atoms: set[str] = field(default_factory=set)


class Encoder:
    """Encodes one policy set over a `Space`; atoms are shared through `atoms`."""

    def __init__(
        self,
        space: Space,
        checked: CheckedPolicy,
        compiled: CompiledPolicy,
        catalogue: Any,
        atoms: dict[str, Atom],
    ) -> None:
        self.space = space
        self.checked = checked
        self.compiled = compiled
        self.catalogue = catalogue
        self.atoms = atoms
        self.registry = checked.vocabulary.territories
        self._block: CheckedBlock | None = None
        self._params: dict[str, Any] = {}
        self._touched: set[str] = set()
        self._revenue_only = False
        self._weight_one = False
        self._split: str | None = None
        self._extremes: list[tuple[ast.Call, list[Any]]] | None = None
        by_name = {b.name: b for bs in compiled.contracts_by_licensee.values() for b in bs}
        by_name.update({b.name: b for b in compiled.jurisdictions})
        self.blocks: dict[str, BlockSym] = {}
        for checked_block in (*checked.contracts, *checked.jurisdictions):
            name = checked_block.block.name
            self.blocks[name] = self._encode_block(checked_block, by_name[name])

    # ------------------------------------------------------------- atoms
    def atom(self, key: str, sort: str, closed: Any, reason: str, peopled: Any = None) -> Any:
        found = self.atoms.get(key)
        if found is None:
            var = {"bool": z3.Bool, "int": z3.Int, "real": z3.Real}[sort](f"atom:{key}")
            counts = key.startswith("count:")
            found = self.atoms[key] = Atom(key, var, closed, reason, counts, peopled)
        self._touched.add(key)
        return found.var

    def _opaque(self, node: ast.Expr, kind: str, why: str) -> Sym:
        """An expression not encoded: free value, free definedness, no closed value."""
        assert self._block is not None
        key = f"{self._block.block.name}:{node.span.line}:{node.span.column}:{kind}"
        sort = {"bool": "bool", "num": "real", "money": "real"}.get(kind, "int")
        value = self.atom(key, sort, None, why)
        defined = self.atom(key + ":defined", "bool", None, why)
        return Sym(kind, value, defined)

    # ------------------------------------------------------------- blocks
    def _encode_block(self, checked: CheckedBlock, compiled: CompiledBlock) -> BlockSym:
        self._block = checked
        self._params = dict(compiled.parameters)
        touched_before = set(self._touched)
        self._touched = set()
        space = self.space
        conditions: list[Any] = []
        if compiled.kind == "contract":
            if compiled.start:
                conditions.append(space.date >= compiled.start.toordinal())
            if compiled.end:
                conditions.append(space.date <= compiled.end.toordinal())
            if compiled.territory is not None:
                conditions.append(space.territory_in(compiled.territory))
        else:
            start = compiled.start
            if compiled.proposed and compiled.after_enactment is not None:
                start = None  # runs from an assumed enactment: any date
            if start:
                conditions.append(space.date >= start.toordinal())
            if compiled.end:
                conditions.append(space.date <= compiled.end.toordinal())
        for condition in checked.block.applies:
            conditions.append(self._condition(condition))
        applies = z3.And(conditions) if conditions else TRUE
        block_atoms = set(self._touched)
        provisions = []
        for index, provision in enumerate(checked.block.provisions):
            self._touched = set()
            provisions.append(self._provision(index, provision, compiled))
            provisions[-1].atoms = set(self._touched)
            block_atoms |= self._touched
        # `_set_aside`: in the checker's order, an active setter sets aside active targets.
        aside = {i: FALSE for i in range(len(provisions))}
        for index in compiled.order:
            setter_on = z3.And(provisions[index].holds, z3.Not(aside[index]))
            for target in compiled.provisions[index].sets_aside:
                aside[target] = z3.Or(aside[target], z3.And(setter_on, provisions[target].holds))
        permitted: list[Any] = []
        blocked: list[Any] = []
        for p in provisions:
            p.active = z3.And(p.holds, z3.Not(aside[p.index]))
            if p.permits:
                permitted.append(
                    z3.And(p.active, z3.Or([space.purpose_is(x) for x in sorted(p.permits)]))
                )
            if p.denies:
                blocked.append(p.active)
            blocked.append(z3.And(p.active, p.blocks))
        self._touched = touched_before | block_atoms
        return BlockSym(
            checked,
            compiled,
            applies,
            provisions,
            z3.Or(permitted) if permitted else FALSE,
            z3.Or(blocked) if blocked else FALSE,
            block_atoms,
        )

    def _provision(self, index: int, node: ast.Provision, compiled: CompiledBlock) -> ProvisionSym:
        # `_all_of`: the `when` lines in order; the first undefined one makes all undefined.
        when = TRUE
        for line in reversed(node.when):
            sym = self._expr(line)
            when = z3.If(z3.Not(sym.defined), FALSE, z3.And(sym.value, when))
        unless = [self._condition(line) for line in node.unless]
        holds_ = z3.And(when, z3.Not(z3.Or(unless))) if unless else when
        out = ProvisionSym(index, node, compiled.provisions[index].label, when, unless, holds_)
        blocks: list[Any] = []
        for effect in node.effects:
            if isinstance(effect, ast.Permit):
                out.permits = out.permits | {n.name for n in effect.purposes}
            elif isinstance(effect, ast.Deny):
                out.denies = True
            elif isinstance(effect, ast.RequireConsent):
                blocks.append(self._consent_missing(effect))
            elif isinstance(effect, ast.RequireLicence):
                # Works needing a licence: none in a use without works.
                # With people: the one work is held by the contract's licensor (licensed).
                key = f"licence:{self._text(effect.subject)}"
                blocks.append(self.atom(key, "bool", FALSE, "works needing a licence", FALSE))
            elif isinstance(effect, ast.Pay):
                if effect.amount is not None and effect.payee:
                    out.pays.append(self._pay(effect))
            elif isinstance(effect, ast.Oblige | ast.Risk):
                pass  # duties and stated risks decide nothing
            else:
                assert_never(effect)
        out.blocks = z3.Or(blocks) if blocks else FALSE
        return out

    def _text(self, subject: ast.Subject) -> str:
        path = subject.path.dotted if subject.path is not None else subject.party
        where = f" where {_text(subject.where)}" if subject.where is not None else ""
        return f"{subject.kind} {path}{where}"

    def _consent_missing(self, effect: ast.RequireConsent) -> Any:
        subject = effect.subject
        purposes = (
            ",".join(n.name for n in effect.purposes)
            if isinstance(effect.purposes, tuple)
            else str(effect.purposes.dotted if effect.purposes else "use.purpose")
        )
        forms = "|".join(",".join(sorted(group)) for group in effect.formalities)
        key = f"consent-missing:{self._text(subject)}:{purposes}:{forms}:{effect.cap}"
        if subject.kind == "party":
            # Whether the grants recorded for one party cover the use: read from the ledger,
            # not encoded here.
            return self.atom(key, "bool", None, f"consent of {subject.party} (a consent record)")
        # With people: the witness's grant has every formality and covers the use (the
        # engine confirms it when it re-decides the witness).
        return self.atom(key, "bool", FALSE, "consent of the artists a use touches", FALSE)

    def _pay(self, effect: ast.Pay) -> PayTerm:
        assert effect.amount is not None and effect.payee is not None
        subject = effect.payee
        each = subject.kind != "party"
        self._weight_one = each
        self._split = None
        self._extremes = []
        try:
            amount = self._money(effect.amount)
            extremes = self._extremes
            self._extremes = None
            self._revenue_only = True
            try:
                revenue_part = self._money(effect.amount)
            finally:
                self._revenue_only = False
        finally:
            self._weight_one = False
            self._extremes = None
        split = self._split
        if each:
            nonempty = self.atom(
                f"payees:{self._text(subject)}",
                "bool",
                FALSE,
                "the payees of `to each …`",
                TRUE if subject.where is None else None,
            )
            payee = (
                f"{subject.kind.replace('_', ' ')} in {subject.path.dotted if subject.path else ''}"
            )
        else:
            nonempty = TRUE
            payee = subject.party or ""
            party = self.catalogue.party(payee) if self.catalogue is not None else None
            if party is not None and party.kind == "artist":
                # The opt-in rule pays an artist only with consent found: a record.
                nonempty = self.atom(
                    f"paid-artist-consented:{payee}", "bool", None, "consent of a paid artist"
                )
        return PayTerm(
            payee,
            amount.value,
            revenue_part.value,
            amount.currency or self.space.currency,
            each,
            nonempty,
            effect.amount,
            extremes or [],
            split,
        )

    def _money(self, node: ast.Expr) -> Sym:
        sym = self._expr(node)
        if sym.kind != "money":
            return self._opaque(node, "money", "an amount that is not money")
        return sym

    # ------------------------------------------------------------- expressions
    def _condition(self, node: ast.Expr) -> Any:
        return holds(self._expr(node))

    def _expr(self, node: ast.Expr) -> Sym:
        try:
            return self._encode(node)
        except NotEncoded as problem:
            return self._opaque(node, self._kind_of(node), str(problem))

    def _kind_of(self, node: ast.Expr) -> str:
        kind = self.checked.types.get(id(node))
        name = getattr(kind, "kind", "bool")
        return {"number": "num", "percentage": "num", "count": "num", "boolean": "bool"}.get(
            name, name
        )

    def _encode(self, node: ast.Expr) -> Sym:
        space = self.space
        if isinstance(node, ast.BoolLit):
            return Sym("bool", z3.BoolVal(node.value), const=node.value)
        if isinstance(node, ast.NumberLit | ast.PercentLit):
            value = node.value / 100 if isinstance(node, ast.PercentLit) else node.value
            return Sym("num", z3.RealVal(str(value)), const=value)
        if isinstance(node, ast.MoneyLit):
            return self._constant(Money(node.amount, node.currency))
        if isinstance(node, ast.DateLit):
            return self._constant(node.value)
        if isinstance(node, ast.DurationLit):
            return Sym("duration", const=Duration.of(node.count, node.unit))
        if isinstance(node, ast.StringLit):
            return Sym("string", const=node.value)
        if isinstance(node, ast.PartyLit):
            return Sym("party", const=node.id)
        if isinstance(node, ast.TerritoryLit):
            return Sym(
                "territory-literal",
                const=node.code,
                territory_set=self.registry.territory_set([node.code]),
            )
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Path):
            return self._path(node)
        if isinstance(node, ast.Not):
            inner = self._expr(node.operand)
            return Sym("bool", z3.Not(inner.value), inner.defined)
        if isinstance(node, ast.Negate):
            inner = self._expr(node.operand)
            return Sym(inner.kind, -inner.value, inner.defined, currency=inner.currency)
        if isinstance(node, ast.Logical):
            return self._logical(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Binary):
            return self._binary(node)
        if isinstance(node, ast.SetLit):
            return Sym("set", items=tuple(self._expr(i) for i in node.items))
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.PerUnit):
            rate = self._expr(node.rate)
            unit = {"generation": "g", "generations": "g", "stream": "s", "streams": "s"}.get(
                node.unit, "w"
            )
            if self._revenue_only:
                count: Any = z3.RealVal(0)
            elif unit == "g":
                count = z3.ToReal(space.generations)
            elif unit == "s":
                count = z3.ToReal(space.streams)
            else:
                count = z3.ToReal(
                    self.atom("count:use.works", "int", z3.IntVal(0), "works", z3.IntVal(1))
                )
            return Sym(rate.kind, rate.value * count, rate.defined, currency=rate.currency)
        if isinstance(node, ast.Tiered):
            return self._tiered(node)
        if isinstance(node, ast.Quantifier):
            closed = FALSE if node.kind == "any" else TRUE
            key = (
                f"{node.kind}({node.variable} in {node.path.dotted} where {_text(node.condition)})"
            )
            value = self.atom(key, "bool", closed, "artists or works of the use")
            defined = self.atom(key + ":defined", "bool", TRUE, "artists or works of the use")
            return Sym("bool", value, defined)
        raise NotEncoded(f"`{_text(node)}`")

    def _constant(self, value: Any) -> Sym:
        if isinstance(value, Money):
            amount = Decimal(0) if self._revenue_only else value.amount
            return Sym("money", z3.RealVal(str(amount)), const=value, currency=value.currency)
        if isinstance(value, dt.date):
            return Sym("date", z3.IntVal(value.toordinal()), const=value)
        if isinstance(value, bool):
            return Sym("bool", z3.BoolVal(value), const=value)
        if isinstance(value, Decimal | int):
            return Sym("num", z3.RealVal(str(value)), const=value)
        if isinstance(value, Duration):
            return Sym("duration", const=value)
        if isinstance(value, str):
            return Sym("string", const=value)
        raise NotEncoded(f"a parameter of type {type(value).__name__}")

    def _name(self, node: ast.Name) -> Sym:
        name = node.name
        assert self._block is not None
        if name in ("weight", "share"):
            if not self._weight_one:
                raise NotEncoded(f"`{name}` outside `to each`")
            # Summed over the payees, weights (and shares) add up to at most 1, and to 1
            # when the attribution's do: the total of `… * weight` is the amount itself.
            self._split = name
            return Sym("num", z3.RealVal(1), const=Decimal(1))
        if name in self._params:
            return self._constant(self._params[name])
        if name in self._block.definitions:
            return self._expr(self._block.definitions[name])
        if name in ("artist", "performer", "work"):
            raise NotEncoded(f"`{name}` (the one in hand)")
        return Sym("name", const=name)  # a purpose or a context

    def _path(self, node: ast.Path) -> Sym:
        space = self.space
        dotted = node.dotted
        if dotted == "use.date":
            return Sym("date", space.date)
        if dotted == "use.purpose":
            return Sym("purpose", space.purpose)
        if dotted == "use.territory":
            return Sym("territory", space.territory)
        if dotted == "use.licensee":
            return Sym("party", space.licensee)
        if dotted == "use.commercial":
            return Sym("bool", space.commercial)
        if dotted in ("use.revenue", "use.metrics.revenue"):
            return Sym("money", space.revenue, currency=space.currency)
        if dotted in ("use.generations", "use.metrics.generations"):
            if self._revenue_only:
                return Sym("num", z3.RealVal(0))
            return Sym("num", z3.ToReal(space.generations))
        if dotted in ("use.streams", "use.metrics.streams"):
            if self._revenue_only:
                return Sym("num", z3.RealVal(0))
            return Sym("num", z3.ToReal(space.streams))
        if dotted == "use.context":
            return Sym("contexts")
        if dotted in ("use.works", "use.artists", "use.attribution", "use.touched"):
            return Sym("collection", const=dotted)
        if dotted.startswith("use.output.") and node.parts[2] in space.output:
            return Sym("bool", space.output[node.parts[2]])
        if dotted.startswith("use.facts.") and node.parts[2] in space.facts:
            fact = space.facts[node.parts[2]]
            if fact.value is None:
                raise NotEncoded(f"the {fact.kind} fact `{fact.name}`")
            kind = {"boolean": "bool", "count": "num", "number": "num", "percentage": "num"}.get(
                fact.kind, fact.kind
            )
            value = z3.ToReal(fact.value) if fact.kind == "count" else fact.value
            return Sym(kind, value, fact.given, fact=fact.name)
        raise NotEncoded(f"`{dotted}`")

    def _logical(self, node: ast.Logical) -> Sym:
        # Kleene: a decisive defined operand settles it; otherwise an undefined one spreads.
        operands = [self._expr(o) for o in node.operands]
        decisive = node.op == "or"
        settles = [z3.And(o.defined, o.value if decisive else z3.Not(o.value)) for o in operands]
        any_settles = z3.Or(settles)
        all_defined = z3.And([o.defined for o in operands])
        defined = z3.Or(any_settles, all_defined)
        value = any_settles if decisive else z3.Not(any_settles)
        return Sym("bool", value, defined)

    def _compare(self, node: ast.Compare) -> Sym:
        space = self.space
        op = node.op
        left = self._expr(node.left)
        if op in ("in", "not in"):
            negate = op == "not in"
            right = self._expr(node.right)
            if left.kind == "territory":
                members = right.items if right.kind == "set" else (right,)
                if not all(m.kind == "territory-literal" for m in members):
                    raise NotEncoded("a territory test against a value of the use")
                codes = [m.const for m in members]
                test = space.territory_in(self.registry.territory_set(codes))
                return Sym("bool", z3.Not(test) if negate else test, left.defined)
            if right.kind == "contexts" and left.kind == "name":
                test = space.context.get(left.const, FALSE)
                return Sym("bool", z3.Not(test) if negate else test)
            if right.kind == "collection":
                key = f"{_text(node.left)} in {right.const}"
                test = self.atom(key, "bool", FALSE, "artists or works of the use")
                return Sym("bool", z3.Not(test) if negate else test, left.defined)
            if right.kind == "set":
                tests = [self._equal(left, item) for item in right.items]
                test = z3.Or(tests) if tests else FALSE
                defined = z3.And([left.defined, *[i.defined for i in right.items]])
                return Sym("bool", z3.Not(test) if negate else test, defined)
            raise NotEncoded(f"`{_text(node)}`")
        right = self._expr(node.right)
        defined = z3.And(left.defined, right.defined)
        if op in ("is", "=", "is not", "!="):
            test = self._equal(left, right)
            return Sym("bool", z3.Not(test) if op in ("is not", "!=") else test, defined)
        a, b = self._ordered(left, right)
        test = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return Sym("bool", test, defined)

    def _ordered(self, left: Sym, right: Sym) -> tuple[Any, Any]:
        money = "money" in (left.kind, right.kind)
        if money and (left.kind != right.kind or left.currency != right.currency):
            raise NotEncoded("a comparison of different currencies")
        if left.kind not in ("num", "money", "date") or right.kind not in ("num", "money", "date"):
            raise NotEncoded(f"an order on {left.kind} and {right.kind}")
        return left.value, right.value

    def _equal(self, left: Sym, right: Sym) -> Any:
        space = self.space
        if left.kind == "purpose" and right.kind == "name":
            return space.purpose_is(right.const)
        if right.kind == "purpose" and left.kind == "name":
            return space.purpose_is(left.const)
        if left.kind == "territory" and right.kind == "territory-literal":
            return space.territory_is(right.const)
        if left.kind == "party" and right.kind == "party" and right.const is not None:
            if left.const is not None:
                return z3.BoolVal(left.const == right.const)
            return space.licensee_is(right.const)
        if left.kind == "string" and right.kind == "string" and right.const is not None:
            if left.const is not None:
                return z3.BoolVal(left.const == right.const)
            if left.fact is None:
                raise NotEncoded("a string the use gives")
            return left.value == space.string_index(left.fact, right.const)
        if left.kind == right.kind and left.kind in ("num", "date", "bool", "money"):
            if left.kind == "money" and left.currency != right.currency:
                raise NotEncoded("an equality of different currencies")
            return left.value == right.value
        raise NotEncoded(f"an equality of {left.kind} and {right.kind}")

    def _binary(self, node: ast.Binary) -> Sym:
        left, right = self._expr(node.left), self._expr(node.right)
        defined = z3.And(left.defined, right.defined)
        op = node.op
        if left.kind == "duration" and right.kind == "duration":
            return Sym("duration", const=left.const + (right.const if op == "+" else -right.const))
        if left.kind == "date" and right.kind == "duration":
            if left.const is not None:
                day = shifted(left.const, right.const, -1 if op == "-" else 1)
                return self._constant(day)
            duration = right.const
            if duration.months == 0:
                days = duration.days if op == "+" else -duration.days
                return Sym("date", left.value + days, defined)
            raise NotEncoded("months or years added to a date the use gives")
        if "duration" in (left.kind, right.kind) or "date" in (left.kind, right.kind):
            raise NotEncoded(f"`{_text(node)}`")
        currency = left.currency or right.currency
        if op in ("+", "-"):
            if left.kind != right.kind:
                raise NotEncoded(f"`{_text(node)}`")
            if left.currency and right.currency and left.currency != right.currency:
                raise NotEncoded("a sum of different currencies")
            value = left.value + right.value if op == "+" else left.value - right.value
            return Sym(left.kind, value, defined, currency=currency)
        if op == "*":
            if left.kind == "money" and right.kind == "money":
                raise NotEncoded("money times money")
            kind = "money" if "money" in (left.kind, right.kind) else "num"
            return Sym(kind, left.value * right.value, defined, currency=currency)
        if right.const is None or right.const == 0:
            raise NotEncoded("a division by a value of the use (or by zero)")
        if right.kind == "money":
            if left.kind != "money":
                raise NotEncoded(f"`{_text(node)}`")
            return Sym("num", left.value / right.value, defined)
        return Sym(left.kind, left.value / right.value, defined, currency=currency)

    def _call(self, node: ast.Call) -> Sym:
        if node.function == "count":
            arg = node.args[0]
            key = f"count:{_text(arg)}"
            # With people: one of each collection of the use (one work, one artist).
            one = z3.IntVal(1) if _text(arg) in PEOPLED_COLLECTIONS else None
            atom = self.atom(key, "int", z3.IntVal(0), "works or artists", one)
            return Sym("num", z3.ToReal(atom))
        args = [self._expr(a) for a in node.args]
        kinds = {a.kind for a in args}
        currencies = {a.currency for a in args if a.currency}
        if len(kinds) != 1 or len(currencies) > 1 or kinds - {"num", "money", "date"}:
            raise NotEncoded(f"`{_text(node)}`")
        pick = node.function == "max"
        value = args[0].value
        for other in args[1:]:
            # `min`/`max` keep the first of equal values: the same number either way.
            value = z3.If(other.value > value if pick else other.value < value, other.value, value)
        if self._extremes is not None:
            self._extremes.append((node, [a.value for a in args]))
        defined = z3.And([a.defined for a in args])
        return Sym(args[0].kind, value, defined, currency=next(iter(currencies), None))

    def _tiered(self, node: ast.Tiered) -> Sym:
        base = self._expr(node.base)
        if base.kind not in ("num", "money"):
            raise NotEncoded("a tiered base that is not a number")
        total: Any = z3.RealVal(0)
        lower = Decimal(0)
        rates = [self._expr(t.rate) for t in node.tiers]
        kind = "money" if base.kind == "money" or any(r.kind == "money" for r in rates) else "num"
        for tier, rate in zip(node.tiers, rates, strict=True):
            upper = (
                base.value
                if tier.limit is None
                else z3.If(
                    base.value < z3.RealVal(str(tier.limit)),
                    base.value,
                    z3.RealVal(str(tier.limit)),
                )
            )
            band = z3.If(upper > z3.RealVal(str(lower)), upper - z3.RealVal(str(lower)), 0)
            total = total + rate.value * band
            if tier.limit is None:
                break
            lower = tier.limit
        currency = base.currency or next((r.currency for r in rates if r.currency), None)
        return Sym(kind, total, base.defined, currency=currency)


def _text(node: Any) -> str:
    from ..compiler import _text as compiler_text  # the one rendering of an expression

    return compiler_text(node)


__all__ = ["Atom", "BlockSym", "Encoder", "NotEncoded", "PayTerm", "ProvisionSym", "Sym"]
