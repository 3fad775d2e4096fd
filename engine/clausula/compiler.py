"""Checked policy → compiled policy: every expression becomes a Python closure, once.

Deciding a use then calls closures and looks up indexes; the AST is never walked again.
Compiled objects are immutable and hold no per-decision state: everything that varies
per use lives in the `Context` the decision creates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, assert_never

from . import ast
from . import formulas as f
from . import types as t
from .checker import CheckedBlock, CheckedPolicy
from .compiled import CompiledBlock, CompiledEffect, CompiledPolicy, CompiledProvision, SubjectFn
from .context import EvaluationError, Fn, Missing
from .durations import Duration
from .kinds import subject_roles
from .money import Money
from .prefilter import Candidates, Guard, combine_guards
from .values import ORDERINGS, format_percent, format_value

# ----------------------------------------------------------------- compiling

_LITERALS = (
    ast.MoneyLit,
    ast.PercentLit,
    ast.NumberLit,
    ast.DateLit,
    ast.StringLit,
    ast.BoolLit,
    ast.DurationLit,
    ast.PartyLit,
    ast.TerritoryLit,
)


def compile_policy(
    checked: CheckedPolicy,
    catalogue: Any,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> CompiledPolicy:
    """Compile a checked policy against a catalogue (used to expand scopes once)."""
    overrides = overrides or {}
    # The works and performers of a rights holder's catalogue, once per holder: many
    # contracts share one licensor's catalogue as their scope.
    catalogues: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    contracts = [
        _BlockCompiler(b, checked, catalogue, overrides.get(b.block.name, {}), catalogues).compile()
        for b in checked.contracts
    ]
    jurisdictions = tuple(
        _BlockCompiler(b, checked, catalogue, overrides.get(b.block.name, {})).compile()
        for b in checked.jurisdictions
    )
    index: dict[str, list[CompiledBlock]] = {}
    for contract in sorted(contracts, key=lambda c: c.name):
        index.setdefault(contract.licensee or "", []).append(contract)
    packs = tuple(sorted(jurisdictions, key=lambda j: j.name))
    return CompiledPolicy(
        vocabulary=checked.vocabulary,
        contracts_by_licensee={k: tuple(v) for k, v in index.items()},
        jurisdictions=packs,
        contract_names=tuple(sorted(c.name for c in contracts)),
        jurisdictions_for=Candidates([pack.guard for pack in packs]),
    )


def _source(span: Any) -> str:
    return f"{span.path}:{span.line}:{span.column}"


class _BlockCompiler:
    def __init__(
        self,
        checked: CheckedBlock,
        policy: CheckedPolicy,
        catalogue: Any,
        overrides: Mapping[str, Any],
        catalogues: dict[str, tuple[frozenset[str], frozenset[str]]] | None = None,
    ) -> None:
        self.checked = checked
        self.catalogues = catalogues if catalogues is not None else {}
        self.block = checked.block
        self.types = policy.types
        self.vocabulary = policy.vocabulary
        self.catalogue = catalogue
        self.parameters: dict[str, Any] = {}
        for name, value in checked.parameters.items():
            self.parameters[name] = overrides[name] if name in overrides else self._constant(value)
        self.definitions: dict[str, Fn] = {}

    def compile(self) -> CompiledBlock:
        block, checked = self.block, self.checked
        for name, value in checked.definitions.items():
            self._definition(name, value)
        provisions = tuple(
            self._provision(p, checked.targets.get(i, ())) for i, p in enumerate(block.provisions)
        )
        scope_works: frozenset[str] | None = None
        scope_artists: frozenset[str] | None = None
        scope_label = "all works"
        if checked.scope_kind == "catalogue":
            holder = checked.scope_ids[0]
            if holder not in self.catalogues:
                works = self.catalogue.works_held_by(holder)
                self.catalogues[holder] = (works, self._performers(works))
            scope_works, scope_artists = self.catalogues[holder]
            scope_label = f"the catalogue of {holder}"
        elif checked.scope_kind == "works":
            scope_works = frozenset(checked.scope_ids)
            scope_artists = self._performers(scope_works)
            scope_label = "the works listed in the contract"
        return CompiledBlock(
            kind=block.kind,
            name=block.name,
            title=block.title,
            source=_source(block.name_span),
            provisions=provisions,
            order=checked.order,
            applies=tuple(self.condition(e) for e in block.applies),
            territory=checked.territory,
            licensor=checked.licensor,
            licensee=checked.licensee,
            start=checked.start,
            end=checked.end,
            scope_kind=checked.scope_kind,
            scope_works=scope_works,
            scope_artists=scope_artists,
            scope_label=scope_label,
            proposed=checked.proposed,
            text=checked.text,
            parameters=dict(self.parameters),
            after_enactment=_duration(checked.after_enactment),
            guard=self._all_guard(block.applies),
            overrides=any(p.sets_aside for p in provisions),
            candidates=Candidates([p.guard for p in provisions]),
        )

    def _performers(self, works: frozenset[str]) -> frozenset[str]:
        return frozenset(artist for work in works for artist in self.catalogue.performers_of(work))

    def _label(self, provision: ast.Provision) -> str:
        if provision.kind == "clause":
            return f"{self.block.name} §{provision.key}"
        return f"{self.block.name} {provision.key}"

    def _provision(self, provision: ast.Provision, targets: Sequence[int]) -> CompiledProvision:
        unless = tuple((self.condition(e), _text(e)) for e in provision.unless)
        return CompiledProvision(
            key=provision.key,
            label=self._label(provision),
            title=provision.title,
            citation=provision.cite,
            source=_source(provision.key_span),
            when=f.all_of(tuple(self.condition(e) for e in provision.when)),
            unless=unless,
            effects=tuple(self._effect(e) for e in provision.effects),
            sets_aside=tuple(targets),
            guard=self._all_guard(provision.when),
        )

    def _effect(self, effect: ast.AnyEffect) -> CompiledEffect:
        source = _source(effect.span)
        if isinstance(effect, ast.Permit):
            return CompiledEffect(
                "permit", source, purposes=frozenset(n.name for n in effect.purposes)
            )
        if isinstance(effect, ast.Deny):
            return CompiledEffect("deny", source, message=effect.message)
        if isinstance(effect, ast.Oblige):
            met = self.condition(effect.met) if effect.met is not None else None
            return CompiledEffect("oblige", source, message=effect.text, met=met)
        if isinstance(effect, ast.Risk):
            return CompiledEffect("risk", source, message=effect.text)
        if isinstance(effect, ast.RequireLicence):
            return CompiledEffect("licence", source, subject=self._subject(effect.subject))
        if isinstance(effect, ast.RequireConsent):
            purposes = None
            if isinstance(effect.purposes, tuple):
                purposes = tuple(n.name for n in effect.purposes)
            return CompiledEffect(
                "consent",
                source,
                subject=self._subject(effect.subject),
                consent_purposes=purposes,
                formalities=effect.formalities,
                cap=_duration(effect.cap),
                minors=(
                    (effect.minors.formalities, _duration(effect.minors.cap))
                    if effect.minors is not None
                    else None
                ),
                consenters=(
                    frozenset(effect.consenters) if effect.consenters is not None else None
                ),
                exempt=effect.exempt,
                void=effect.void,
                made_from=effect.made_from.value if effect.made_from is not None else None,
            )
        if isinstance(effect, ast.Pay):
            if effect.amount is None or effect.payee is None:
                return CompiledEffect("pay_nothing", source)
            return CompiledEffect(
                "pay",
                source,
                subject=self._subject(effect.payee),
                amount=self._payment(effect.amount),
                basis=self.describe(effect.amount),
            )
        assert_never(effect)

    def _subject(self, subject: ast.Subject) -> SubjectFn:
        where = self.condition(subject.where) if subject.where is not None else None
        if subject.kind == "party":
            return SubjectFn("party", subject.party or "", party=subject.party)
        assert subject.path is not None
        path = subject.path.dotted
        roles = subject_roles(subject.kind, path)
        if subject.kind == "each_performer":
            return SubjectFn(
                "each_performer", "each performer of the works used", where=where, roles=roles
            )
        if subject.kind == "each_work":
            return SubjectFn("each_work", "each work used", where=where)
        if path == "use.touched":
            return SubjectFn(
                "each_artist", "each artist the use touches", touched=True, where=where, roles=roles
            )
        if path == "use.attribution":
            return SubjectFn(
                "each_artist",
                "each artist in the attribution",
                over_attribution=True,
                where=where,
                roles=roles,
            )
        return SubjectFn("each_artist", "each artist named by the use", where=where, roles=roles)

    # ------------------------------------------------------------- values
    def _constant(self, node: ast.Expr) -> Any:
        value = self.expr(node)(None)  # type: ignore[arg-type]  # literals ignore the context
        return value

    def _definition(self, name: str, node: ast.Expr) -> Fn:
        if name not in self.definitions:
            # Placeholder first: the checker rejected cycles, so this is never called.
            self.definitions[name] = f.constant(None)
            self.definitions[name] = self.expr(node)
        return self.definitions[name]

    def type_of(self, node: ast.Expr) -> t.Type:
        return self.types.get(id(node), t.ERROR)

    _in_payment = False

    def condition(self, node: ast.Expr) -> Fn:
        """A condition of a `when`, `unless`, `applies when`, `where` or `met when`: false
        at once, without evaluating it, when a fact it cannot do without is not given."""
        fn = self.expr(node)
        needs = tuple(sorted(self._needs_to_hold(node)))
        if not needs:
            return fn
        return f.guarded(fn, needs)

    def _all_guard(self, conditions: Sequence[ast.Expr]) -> Guard | None:
        """The guard of conditions that must all hold."""
        return combine_guards([self._guard(c) for c in conditions], decisive=False)

    def _guard(self, node: ast.Expr) -> Guard | None:
        """What the use's purpose and territory alone tell about `node` (see `Guard`), or
        None when they never tell anything. Kleene, as the evaluation: `and` is false when
        one operand is, `or` true when one operand is."""
        if isinstance(node, ast.Name) and node.name in self.checked.definitions:
            return self._guard(self.checked.definitions[node.name])
        if isinstance(node, ast.Logical):
            parts = [self._guard(o) for o in node.operands]
            return combine_guards(parts, decisive=node.op == "or")
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Path):
            return self._compare_guard(node)
        return None

    def _compare_guard(self, node: ast.Compare) -> Guard | None:
        assert isinstance(node.left, ast.Path)
        parts, op = node.left.parts, node.op
        if parts == ("use", "purpose") and self._is_constant(node.right):
            try:
                value = self.expr(node.right)(None)  # type: ignore[arg-type]
            except (EvaluationError, Missing, ArithmeticError):
                return None
            if op in ("is", "="):
                return lambda purpose, territory: purpose == value
            if op in ("is not", "!="):
                return lambda purpose, territory: purpose != value
            if op in ("in", "not in") and isinstance(value, frozenset):
                negate = op == "not in"
                return lambda purpose, territory: (purpose in value) != negate
            return None
        if parts == ("use", "territory") and op in ("is", "=", "is not", "!="):
            if not isinstance(node.right, ast.TerritoryLit):
                return None
            code, negate = node.right.code, op in ("is not", "!=")
            return lambda purpose, territory: (territory == code) != negate
        if parts == ("use", "territory") and op in ("in", "not in"):
            literals = (
                list(node.right.items) if isinstance(node.right, ast.SetLit) else [node.right]
            )
            if not all(isinstance(i, ast.TerritoryLit) for i in literals):
                return None
            inside = self.vocabulary.territories.territory_set(
                i.code  # type: ignore[attr-defined]
                for i in literals
            )
            negate = op == "not in"
            return lambda purpose, territory: inside.contains(territory) != negate
        return None

    def _needs_to_hold(self, node: ast.Expr) -> frozenset[str]:
        """The facts without which `node` is false or unknown (both count as false for a
        condition): any operand's for `and`, those of every operand for `or`."""
        if isinstance(node, ast.Name):
            definition = self.checked.definitions.get(node.name)
            return self._needs_to_hold(definition) if definition is not None else frozenset()
        if isinstance(node, ast.Logical):
            parts = [self._needs_to_hold(o) for o in node.operands]
            if node.op == "and":
                return frozenset().union(*parts)
            return frozenset.intersection(*parts) if parts else frozenset()
        return self._needs(node)

    def _needs(self, node: ast.Expr) -> frozenset[str]:
        """The facts without which `node` is unknown, whatever the other values are."""
        if isinstance(node, ast.Path):
            if node.parts[:2] == ("use", "facts") and len(node.parts) == 3:
                return frozenset({node.parts[2]})
            return frozenset()
        if isinstance(node, ast.Name):
            definition = self.checked.definitions.get(node.name)
            return self._needs(definition) if definition is not None else frozenset()
        if isinstance(node, ast.Logical):
            # Kleene: `a or b` may be decided by either operand alone.
            parts = [self._needs(o) for o in node.operands]
            return frozenset.intersection(*parts) if parts else frozenset()
        if isinstance(node, ast.Quantifier):
            return frozenset()
        needed: frozenset[str] = frozenset()
        for child in _children(node):
            needed |= self._needs(child)
        return needed

    def expr(self, node: ast.Expr) -> Fn:
        """The closure computing `node`; parts that do not depend on the use are computed now."""
        if (
            self._in_payment
            and not isinstance(node, (*_LITERALS, ast.Name, ast.Path))
            and not self._binds(node)
            and not self._is_constant(node)
        ):
            self._in_payment = False
            try:
                return f.memoized(self.expr(node), id(node))
            finally:
                self._in_payment = True
        fn = self._expr(node)
        if not isinstance(node, _LITERALS) and self._is_constant(node):
            try:
                value = fn(None)  # type: ignore[arg-type]  # constants never read the context
            except (EvaluationError, Missing, ArithmeticError):
                return fn  # let the use that reaches it report the problem
            return f.constant(value)
        return fn

    def _payment(self, node: ast.Expr) -> Fn:
        """An amount for `pay … to each …`: the parts that do not depend on the payee
        (no `weight`, no `share`) are computed once per decision, not once per payee."""
        self._in_payment = True
        try:
            return self.expr(node)
        finally:
            self._in_payment = False

    def _binds(self, node: ast.Expr) -> bool:
        """Whether `node` reads the one in hand: `weight`, `share`, `artist`, `work`."""
        if isinstance(node, ast.Name):
            if node.name in self.checked.definitions:
                return self._binds(self.checked.definitions[node.name])
            return node.name in ("weight", "share", *t.COLLECTIONS)
        if isinstance(node, ast.Path):
            return node.parts[0] in t.COLLECTIONS
        if isinstance(node, ast.Quantifier):
            return True
        return any(self._binds(child) for child in _children(node))

    def _is_constant(self, node: ast.Expr) -> bool:
        if isinstance(node, _LITERALS):
            return True
        if isinstance(node, ast.Name):
            if node.name in ("weight", "share", *t.COLLECTIONS):
                return False
            if node.name in self.checked.definitions:
                return self._is_constant(self.checked.definitions[node.name])
            return True  # a parameter, purpose or context
        if isinstance(node, ast.Binary):
            return self._is_constant(node.left) and self._is_constant(node.right)
        if isinstance(node, ast.Negate | ast.Not):
            return self._is_constant(node.operand)
        if isinstance(node, ast.Compare):
            return self._is_constant(node.left) and self._is_constant(node.right)
        if isinstance(node, ast.Logical):
            return all(self._is_constant(o) for o in node.operands)
        if isinstance(node, ast.SetLit):
            return all(self._is_constant(i) for i in node.items)
        if isinstance(node, ast.Call):
            return node.function != "count" and all(self._is_constant(a) for a in node.args)
        return False

    def _expr(self, node: ast.Expr) -> Fn:
        if isinstance(node, ast.MoneyLit):
            return f.constant(Money(node.amount, node.currency))
        if isinstance(node, ast.PercentLit):
            return f.constant(node.value / 100)
        if isinstance(node, ast.NumberLit):
            number: Decimal | int = int(node.value) if "." not in node.text else node.value
            return f.constant(number)
        if isinstance(node, ast.DateLit | ast.StringLit | ast.BoolLit):
            return f.constant(node.value)
        if isinstance(node, ast.DurationLit):
            return f.constant(Duration.of(node.count, node.unit))
        if isinstance(node, ast.PartyLit):
            return f.constant(node.id)
        if isinstance(node, ast.TerritoryLit):
            return f.constant(node.code)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Path):
            if node.parts[0] in t.COLLECTIONS:
                return f.variable_path(node.parts[0], node.parts[1])
            return f.use_path(node.dotted)
        if isinstance(node, ast.Binary):
            return self._binary(node)
        if isinstance(node, ast.Quantifier):
            return self._quantifier(node)
        if isinstance(node, ast.Negate):
            return f.negated(self.expr(node.operand))
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Logical):
            operands = tuple(self.expr(o) for o in node.operands)
            return f.logical(operands, decisive=node.op == "or")
        if isinstance(node, ast.Not):
            return f.inverted(self.expr(node.operand))
        if isinstance(node, ast.SetLit):
            return f.set_of([self.expr(i) for i in node.items])
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.PerUnit):
            rate = self.expr(node.rate)
            count = f.use_path(t.PER_UNITS[node.unit])
            if self.type_of(node.rate).kind == "money":
                return f.per_unit_money(rate, count)
            return f.per_unit(rate, count)
        if isinstance(node, ast.Tiered):
            base = self.expr(node.base)
            return f.tiered(base, [(tier.limit, self.expr(tier.rate)) for tier in node.tiers])
        raise AssertionError(f"cannot compile {node!r}")  # pragma: no cover

    def _quantifier(self, node: ast.Quantifier) -> Fn:
        condition = self.expr(node.condition)
        items = f.use_path(node.path.dotted)
        if node.variable == "performer":
            items = f.performers_of_works
        # `any` is settled by a true element, `all` by a false one
        return f.quantifier(items, condition, node.variable == "work", want=node.kind == "any")

    def _name(self, node: ast.Name) -> Fn:
        name = node.name
        if name in ("artist", "performer"):
            return f.artist_id
        if name == "work":
            return f.work_id
        if name == "weight":
            return f.weight
        if name == "share":
            return f.share
        if name in self.parameters:
            return f.constant(self.parameters[name])
        if name in self.checked.definitions:
            # The definition's own closure: compiled now (the checker rejected cycles, so
            # it is never the placeholder), called without a lookup.
            return self._definition(name, self.checked.definitions[name])
        return f.constant(name)  # a purpose or context

    def _binary(self, node: ast.Binary) -> Fn:
        left, right = self.expr(node.left), self.expr(node.right)
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        op = node.op
        if op == "+":
            if lt.kind == "date":
                return f.later(left, right)
            return f.added(left, right)
        if op == "-":
            if lt.kind == "date" and rt.kind == "date":
                return f.days_between(left, right)
            if lt.kind == "date":
                return f.earlier(left, right)
            return f.subtracted(left, right)
        if op == "*":
            # Chosen by the static types, so that no type test runs per decision.
            if lt.kind == "money" and rt.kind != "money":
                return f.scaled_money(left, right)
            if rt.kind == "money" and lt.kind != "money":
                return f.scaled_money(right, left)
            if lt.kind in t.NUMERIC and rt.kind in t.NUMERIC:
                return f.product(left, right)
            return f.multiplied(left, right)
        return f.divided(left, right)

    def _compare(self, node: ast.Compare) -> Fn:
        left = self.expr(node.left)
        op = node.op
        if op in ("in", "not in"):
            rt = self.type_of(node.right)
            negate = op == "not in"
            if rt.kind == "territory" or (rt.kind == "set" and rt.element == "territory"):
                return f.territory_in(left, self._territory_test(node.right), negate)
            return f.member_in(left, self.expr(node.right), negate)
        right = self.expr(node.right)
        plain = self.type_of(node.left).kind not in ("money", "duration")
        if op in ("is", "=", "is not", "!="):
            negate = op in ("is not", "!=")
            if plain and self._is_constant(node.right):
                return f.equal_to_constant(left, right(None), negate)  # type: ignore[arg-type]
            if plain:
                return f.equal_plain(left, right, negate)
            return f.equal_amounts(left, right, negate)
        compare = ORDERINGS[op]
        if plain:
            return f.ordered(left, right, compare)
        return f.ordered_values(left, right, compare)

    def _territory_test(self, node: ast.Expr) -> f.TerritoryTest:
        registry = self.vocabulary.territories
        literals: list[ast.Expr] = list(node.items) if isinstance(node, ast.SetLit) else [node]
        if all(isinstance(i, ast.TerritoryLit) for i in literals):
            territory_set = registry.territory_set(i.code for i in literals)  # type: ignore[attr-defined]
            return f.in_territory_set(territory_set)
        return f.in_territories_of(self.expr(node), registry)

    def _call(self, node: ast.Call) -> Fn:
        args = tuple(self.expr(a) for a in node.args)
        if node.function == "count":
            return f.counted(args[0])
        larger = node.function == "max"
        if self.type_of(node).kind == "money":  # the common case, in payment formulas
            return f.extreme_amount(args, larger)
        return f.extreme(args, larger)

    # ------------------------------------------------------------- explanations
    def describe(self, node: ast.Expr) -> Fn:
        """A closure that writes the formula with the values it used, for `basis`.

        The text is a template made once: values that do not depend on the use (literals,
        parameters) are written into it now; only the use's values fill it per decision.
        """
        pieces: list[str | Fn] = []
        self._template(node, pieces)
        parts: list[str | Fn] = []
        for piece in pieces:  # merge adjacent text
            if isinstance(piece, str) and parts and isinstance(parts[-1], str):
                parts[-1] += piece
            else:
                parts.append(piece)
        if all(isinstance(part, str) for part in parts):
            return f.constant("".join(parts))  # type: ignore[arg-type]
        template = "".join(
            "{}" if callable(p) else p.replace("{", "{{").replace("}", "}}") for p in parts
        )
        return f.filled(template, [p for p in parts if callable(p)])

    def _template(self, node: ast.Expr, out: list[str | Fn]) -> None:
        if isinstance(node, ast.Name | ast.Path):
            label = node.name if isinstance(node, ast.Name) else node.dotted
            value = self.expr(node)
            kind = self.type_of(node).kind
            # a count is written as Python writes an int (`format_value` would test its type)
            show = (
                format_percent if kind == "percentage" else str if kind == "count" else format_value
            )
            if self._is_constant(node):
                out.append(f"{label} {show(value(None))}")  # type: ignore[arg-type]
            else:
                out.append(f"{label} ")
                out.append(f.shown(show, value))
        elif isinstance(node, ast.Binary):
            symbol = {"*": "×", "/": "÷", "+": "+", "-": "−"}[node.op]
            wrap_l = isinstance(node.left, ast.Binary) and _weaker(node.left.op, node.op)
            wrap_r = isinstance(node.right, ast.Binary) and not _weaker(node.op, node.right.op)
            out.append("(" if wrap_l else "")
            self._template(node.left, out)
            out.append((")" if wrap_l else "") + f" {symbol} " + ("(" if wrap_r else ""))
            self._template(node.right, out)
            out.append(")" if wrap_r else "")
        elif isinstance(node, ast.Call):
            out.append(f"{node.function}(")
            for index, arg in enumerate(node.args):
                out.append(", " if index else "")
                self._template(arg, out)
            out.append(")")
        elif isinstance(node, ast.PerUnit):
            self._template(node.rate, out)
            out.append(f" per {node.unit} × ")
            out.append(f.count_shown(f.use_path(t.PER_UNITS[node.unit])))
        elif isinstance(node, ast.Tiered):
            out.append("tiered rates on ")
            self._template(node.base, out)
        elif isinstance(node, ast.Negate):
            out.append("−")
            self._template(node.operand, out)
        else:
            out.append(_text(node))


# ----------------------------------------------------------------- helpers


def _duration(literal: ast.DurationLit | None) -> Duration | None:
    return Duration.of(literal.count, literal.unit) if literal is not None else None


def _children(node: ast.Expr) -> tuple[ast.Expr, ...]:
    if isinstance(node, ast.Binary):
        return (node.left, node.right)
    if isinstance(node, ast.Negate | ast.Not):
        return (node.operand,)
    if isinstance(node, ast.Compare):
        return (node.left, node.right)
    if isinstance(node, ast.Logical):
        return node.operands
    if isinstance(node, ast.SetLit):
        return node.items
    if isinstance(node, ast.Call):
        return node.args
    if isinstance(node, ast.PerUnit):
        return (node.rate,)
    if isinstance(node, ast.Tiered):
        return (node.base, *(tier.rate for tier in node.tiers))
    if isinstance(node, ast.Quantifier):
        return (node.condition,)
    return ()


def _weaker(inner: str, outer: str) -> bool:
    rank = {"+": 1, "-": 1, "*": 2, "/": 2}
    return rank[inner] < rank[outer]


def _text(node: ast.Expr) -> str:
    """The expression as written (normalised), for messages."""
    if isinstance(node, ast.MoneyLit):
        return f"{node.amount} {node.currency}"
    if isinstance(node, ast.PercentLit):
        return f"{node.value}%"
    if isinstance(node, ast.NumberLit):
        return node.text
    if isinstance(node, ast.DateLit):
        return node.value.isoformat()
    if isinstance(node, ast.DurationLit):
        return f"{node.count} {node.unit}"
    if isinstance(node, ast.StringLit):
        return f'"{node.value}"'
    if isinstance(node, ast.BoolLit):
        return "true" if node.value else "false"
    if isinstance(node, ast.PartyLit):
        return node.id
    if isinstance(node, ast.TerritoryLit):
        return node.code
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Path):
        return node.dotted
    if isinstance(node, ast.Binary):
        return f"{_text(node.left)} {node.op} {_text(node.right)}"
    if isinstance(node, ast.Negate):
        return f"-{_text(node.operand)}"
    if isinstance(node, ast.Compare):
        return f"{_text(node.left)} {node.op} {_text(node.right)}"
    if isinstance(node, ast.Logical):
        return f" {node.op} ".join(_text(o) for o in node.operands)
    if isinstance(node, ast.Not):
        return f"not {_text(node.operand)}"
    if isinstance(node, ast.SetLit):
        return "(" + ", ".join(_text(i) for i in node.items) + ")"
    if isinstance(node, ast.Call):
        return f"{node.function}({', '.join(_text(a) for a in node.args)})"
    if isinstance(node, ast.PerUnit):
        return f"{_text(node.rate)} per {node.unit}"
    if isinstance(node, ast.Tiered):
        return f"tiered {_text(node.base)}"
    if isinstance(node, ast.Quantifier):
        return f"{node.kind}({node.variable} in {node.path.dotted} where {_text(node.condition)})"
    return "…"  # pragma: no cover
