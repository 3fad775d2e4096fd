"""AST → checked policy: names resolved, types checked, references and territories validated.

The checker reports every problem it finds (never only the first) as a `Diagnostic`, and
produces a `CheckedPolicy` that the compiler can trust: every name resolves, every
expression has a type, `notwithstanding` has no cycles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import ast
from . import types as t
from .dates import DateOutOfRange, term_end
from .dates import add_duration as add_duration  # its old home: importers keep working
from .diagnostics import DiagnosticSink, Span, did_you_mean
from .identifiers import id_problem
from .money import is_currency
from .nearest import currency_code
from .optin import payments_without_consent
from .shares import WHOLE, is_negative_literal, share_problem
from .territory import WORLDWIDE, TerritoryRegistry, TerritorySet, code_problem

# ----------------------------------------------------------------- checked policy


@dataclass(frozen=True)
class Vocabulary:
    """Purposes, contexts, territory groups and facts declared by the policy set."""

    purposes: frozenset[str]
    contexts: frozenset[str]
    territories: TerritoryRegistry
    facts: Mapping[str, t.Type]


@dataclass(frozen=True)
class CheckedBlock:
    """A contract or jurisdiction whose names, types and references are all valid."""

    block: ast.Block
    parameters: Mapping[str, ast.Expr]
    definitions: Mapping[str, ast.Expr]
    # Provisions in an order where a clause that sets another aside comes first.
    order: tuple[int, ...]
    targets: Mapping[int, tuple[int, ...]]
    territory: TerritorySet | None = None
    licensor: str | None = None
    licensee: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    scope_kind: str = "all"
    scope_ids: tuple[str, ...] = ()
    proposed: bool = False
    text: str | None = None
    # `proposed, effective 180 days after enactment`: with an assumed enactment date.
    after_enactment: ast.DurationLit | None = None
    # Parameters that multiply an amount of money (shares of it): an override of one of
    # them is held to the same range as its declaration (see clausula.shares).
    shares: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CheckedPolicy:
    """The output of checking: what the compiler needs, nothing it has to re-validate."""

    files: tuple[ast.SourceFile, ...]
    vocabulary: Vocabulary
    contracts: tuple[CheckedBlock, ...]
    jurisdictions: tuple[CheckedBlock, ...]
    types: Mapping[int, t.Type] = field(default_factory=dict)


# ----------------------------------------------------------------- entry point


def check_policy(files: Iterable[ast.SourceFile], sink: DiagnosticSink) -> CheckedPolicy:
    """Check parsed files together (the vocabulary is shared by all of them)."""
    files = tuple(files)
    # A file with syntax errors lost the items that hold them: what it lacks is not reported.
    partial = {d.span.path for d in sink.items if d.severity == "error"}
    for source in files:
        sink.add_source(source.path, source.text)
    vocabulary = _vocabulary(files, sink)
    types: dict[int, t.Type] = {}
    contracts: list[CheckedBlock] = []
    jurisdictions: list[CheckedBlock] = []
    seen: dict[str, Span] = {}
    for source in files:
        for block in source.blocks:
            if block.kind == "vocabulary":
                continue
            if block.name in seen:
                sink.error(
                    block.name_span,
                    f"`{block.name}` is already the name of a block at {seen[block.name]}; "
                    "names of contracts and jurisdictions must be unique",
                )
            seen.setdefault(block.name, block.name_span)
            checked = _BlockChecker(
                block, vocabulary, sink, types, partial=source.path in partial
            ).check()
            (contracts if block.kind == "contract" else jurisdictions).append(checked)
    return CheckedPolicy(files, vocabulary, tuple(contracts), tuple(jurisdictions), types)


# ----------------------------------------------------------------- vocabulary


def _vocabulary(files: tuple[ast.SourceFile, ...], sink: DiagnosticSink) -> Vocabulary:
    purposes: dict[str, Span] = {}
    contexts: dict[str, Span] = {}
    groups: dict[str, ast.GroupDecl] = {}
    facts: dict[str, t.Type] = {}
    fact_spans: dict[str, Span] = {}
    for source in files:
        for block in source.blocks:
            for decl in block.facts:
                _declare_fact(decl, facts, fact_spans, sink)
            if block.kind != "vocabulary":
                continue
            for table, items, what in (
                (purposes, block.purposes, "purpose"),
                (contexts, block.contexts, "context"),
            ):
                for item in items:
                    if item.name in table:
                        sink.error(item.span, f"the {what} `{item.name}` is declared twice")
                    table.setdefault(item.name, item.span)
            for group in block.groups:
                if group.name in groups:
                    sink.error(group.span, f"the territory group `{group.name}` is declared twice")
                elif code_problem(group.name) is None:
                    sink.error(
                        group.span,
                        f"`{group.name}` is a country or subdivision code and cannot name a group",
                    )
                else:
                    groups[group.name] = group
    expanded = _expand_groups(groups, sink)
    return Vocabulary(
        purposes=frozenset(purposes),
        contexts=frozenset(contexts),
        territories=TerritoryRegistry(expanded),
        facts=facts,
    )


def _declare_fact(
    decl: ast.FactDecl, facts: dict[str, t.Type], spans: dict[str, Span], sink: DiagnosticSink
) -> None:
    fact_type = t.FACT_TYPES.get(decl.type_name)
    if fact_type is None:
        hint = did_you_mean(decl.type_name, t.FACT_TYPES)
        sink.error(
            decl.type_span,
            f"`{decl.type_name}` is not a type a fact can have "
            f"({', '.join(sorted(t.FACT_TYPES))})" + (f"; {hint}" if hint else ""),
        )
        return
    if decl.name in facts and facts[decl.name] != fact_type:
        sink.error(
            decl.span,
            f"the fact `{decl.name}` was declared as {facts[decl.name]} at {spans[decl.name]}; "
            "a fact has one type in the whole policy set",
        )
        return
    facts.setdefault(decl.name, fact_type)
    spans.setdefault(decl.name, decl.span)


def _expand_groups(
    groups: dict[str, ast.GroupDecl], sink: DiagnosticSink
) -> dict[str, frozenset[str]]:
    expanded: dict[str, frozenset[str]] = {}
    visiting: set[str] = set()

    def expand(name: str) -> frozenset[str]:
        if name in expanded:
            return expanded[name]
        visiting.add(name)
        codes: set[str] = set()
        for member in groups[name].members:
            if member.code in groups:
                if member.code in visiting:
                    sink.error(
                        member.span, f"the group `{name}` contains itself through `{member.code}`"
                    )
                    continue
                codes |= expand(member.code)
            elif member.code == WORLDWIDE:
                sink.error(
                    member.span, "a group cannot contain `worldwide`; use `worldwide` directly"
                )
            else:
                problem = code_problem(member.code)
                if problem:
                    hint = did_you_mean(member.code, groups)
                    sink.error(
                        member.span,
                        problem
                        + (f"; or the group {hint}" if hint and "mean" not in problem else ""),
                    )
                else:
                    codes.add(member.code)
        visiting.discard(name)
        expanded[name] = frozenset(codes)
        return expanded[name]

    for name in groups:
        expand(name)
    return expanded


# ----------------------------------------------------------------- blocks


_CONTRACT_HEADERS = ("licensor", "licensee", "effective", "territory", "scope")


class _BlockChecker:
    def __init__(
        self,
        block: ast.Block,
        vocabulary: Vocabulary,
        sink: DiagnosticSink,
        types: dict[int, t.Type],
        *,
        partial: bool = False,
    ) -> None:
        self.block = block
        self.partial = partial  # items were lost to syntax errors: report no missing ones
        self.vocabulary = vocabulary
        self.sink = sink
        self.types = types
        self.parameters: dict[str, ast.Parameter] = {}
        self.definitions: dict[str, ast.Definition] = {}
        self.definition_types: dict[str, t.Type] = {}
        self.resolving: list[str] = []
        # Names bound while checking the amount of `pay … to each …`.
        self.bindings: dict[str, t.Type] = {}
        # The variables (`artist`, `work`) read by the expression being checked, if tracked.
        self.reads: set[str] | None = None
        self.definition_reads: dict[str, frozenset[str]] = {}
        self.shares: set[str] = set()

    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        self.sink.error(span, message, hint)

    # ------------------------------------------------------------- block level
    def check(self) -> CheckedBlock:
        block = self.block
        for parameter in block.parameters:
            self._declare(parameter.name, parameter.span, self.parameters, parameter)
        for definition in block.definitions:
            self._declare(definition.name, definition.span, self.definitions, definition)
        for parameter in block.parameters:
            self._check_parameter(parameter)
        for name in self.definitions:  # those declared (a refused name has no type)
            self._definition_type(name)
        headers = self._headers()
        for condition in block.applies:
            self._condition(condition, "`applies when`")
        keys = self._provisions()
        order, targets = self._notwithstanding(keys)
        for finding in payments_without_consent(block):
            report = self.sink.error if finding.severity == "error" else self.sink.warning
            report(finding.span, finding.message, finding.hint)
        return CheckedBlock(
            block=block,
            parameters={p.name: p.value for p in block.parameters},
            definitions={d.name: d.value for d in block.definitions},
            order=order,
            targets=targets,
            shares=frozenset(self.shares),
            **headers,  # type: ignore[arg-type]
        )

    def _declare(self, name: str, span: Span, table: dict[str, Any], item: object) -> None:
        if name in self.parameters or name in self.definitions:
            self.error(span, f"`{name}` is already declared in `{self.block.name}`")
            return
        if name in self.vocabulary.purposes or name in self.vocabulary.contexts:
            self.error(span, f"`{name}` is a purpose or context and cannot also name a value")
            return
        if name in ("weight", "share"):
            self.error(span, f"`{name}` is reserved for the weight and share in `pay … to each …`")
            return
        table[name] = item

    def _check_parameter(self, parameter: ast.Parameter) -> None:
        value = parameter.value
        literal_kinds = (
            ast.MoneyLit,
            ast.PercentLit,
            ast.NumberLit,
            ast.DateLit,
            ast.DurationLit,
            ast.BoolLit,
            ast.StringLit,
            ast.TerritoryLit,
            ast.PartyLit,
        )
        if is_negative_literal(value):  # `-1`, `-5%`, `-0.50 USD`: one value, negative
            self.expr(value)
            return
        if not isinstance(value, literal_kinds):
            self.error(
                value.span,
                "a parameter's value must be a single value such as 50% or 0.002 USD, "
                "so that a simulation can override it; use `define` for formulas",
            )
            self.types[id(value)] = t.ERROR
            return
        self.expr(value)
        above = parameter.above_whole
        if above is not None and above.value != WHOLE:
            self.error(
                above.span, f"write `above 100% intended`, not `above {above.value}% intended`"
            )
        elif above is not None and not (isinstance(value, ast.PercentLit) and value.value > WHOLE):
            self.error(
                above.span,
                f"`above 100% intended` is said of a share above 100%, but `{parameter.name}` "
                "is not one; remove it",
            )

    def _headers(self) -> dict[str, object]:
        block = self.block
        result: dict[str, object] = {}
        seen: dict[str, Span] = {}
        for header in block.headers:
            if header.kind in seen and header.kind != "scope":
                self.error(header.span, f"`{block.name}` already has a `{header.kind}` line")
                continue
            if header.kind == "scope" and "scope" in seen:
                self.error(header.span, f"`{block.name}` already has a `scope` line")
                continue
            seen[header.kind] = header.span
            handler = getattr(self, f"_header_{header.kind}")
            handler(header, result)
        if block.kind == "contract":
            for kind in _CONTRACT_HEADERS:
                if kind not in seen and not self.partial:
                    example = {
                        "licensor": "licensor party:example-label",
                        "licensee": "licensee party:aria-labs",
                        "effective": "effective 2026-01-01 for 3 years",
                        "territory": "territory worldwide",
                        "scope": "scope catalogue of party:example-label",
                    }[kind]
                    self.error(
                        block.name_span,
                        f"the contract `{block.name}` has no `{kind}` line; add one such as `{example}`",
                    )
            for kind in ("in_force", "proposed", "text"):
                if kind in seen:
                    self.error(
                        seen[kind],
                        f"`{kind.replace('_', ' ')}` belongs in a jurisdiction, not a contract",
                    )
        elif block.kind == "jurisdiction":
            if "in_force" not in seen and "proposed" not in seen and not self.partial:
                self.error(
                    block.name_span,
                    f"the jurisdiction `{block.name}` says neither `in force from DATE` nor `proposed`",
                )
            for kind in _CONTRACT_HEADERS:
                if kind in seen and kind != "territory":
                    self.error(seen[kind], f"`{kind}` belongs in a contract, not a jurisdiction")
            if "territory" in seen:
                self.error(
                    seen["territory"],
                    "a jurisdiction says where it applies with `applies when use.territory in …`",
                )
        return result

    def _party(self, literal: ast.PartyLit) -> str:
        problem = id_problem(literal.id)
        if problem:
            self.error(literal.span, problem)
        return literal.id

    def _header_licensor(self, header: ast.Header, result: dict[str, object]) -> None:
        literal = header.values[0]
        assert isinstance(literal, ast.PartyLit)
        result["licensor"] = self._party(literal)

    def _header_licensee(self, header: ast.Header, result: dict[str, object]) -> None:
        literal = header.values[0]
        assert isinstance(literal, ast.PartyLit)
        result["licensee"] = self._party(literal)

    def _header_effective(self, header: ast.Header, result: dict[str, object]) -> None:
        start, end = header.values
        assert isinstance(start, ast.DateLit)
        result["start"] = start.value
        if isinstance(end, ast.DateLit):
            if end.value < start.value:
                self.error(
                    end.span, f"the term ends on {end.value}, before it starts on {start.value}"
                )
            result["end"] = end.value
        elif isinstance(end, ast.DurationLit):
            if end.count <= 0:
                self.error(end.span, "a term must last at least one day")
            try:
                result["end"] = term_end(start.value, end.count, end.unit)
            except DateOutOfRange as error:
                self.error(end.span, f"this term cannot end: {error}")

    def _territory_names(self, names: Iterable[ast.TerritoryLit]) -> list[str]:
        valid = []
        for name in names:
            problem = self.vocabulary.territories.problem(name.code)
            if problem:
                self.error(name.span, problem)
            else:
                valid.append(name.code)
        return valid

    def _header_territory(self, header: ast.Header, result: dict[str, object]) -> None:
        include, exclude = header.values
        assert isinstance(include, tuple) and isinstance(exclude, tuple)
        included = self._territory_names(include)
        excluded = self._territory_names(exclude)
        for name in exclude:
            if name.code == WORLDWIDE:
                self.error(name.span, "`worldwide` cannot be excluded")
        result["territory"] = self.vocabulary.territories.territory_set(included, excluded)

    def _header_scope(self, header: ast.Header, result: dict[str, object]) -> None:
        kind, ids = header.values
        assert isinstance(kind, str) and isinstance(ids, tuple)
        result["scope_kind"] = kind
        checked = []
        for literal in ids:
            assert isinstance(literal, ast.PartyLit)
            kinds = frozenset({"isrc", "iswc"}) if kind == "works" else None
            problem = id_problem(literal.id, kinds)
            if problem:
                self.error(literal.span, problem)
            checked.append(literal.id)
        result["scope_ids"] = tuple(checked)

    def _header_text(self, header: ast.Header, result: dict[str, object]) -> None:
        result["text"] = header.values[0]

    def _header_in_force(self, header: ast.Header, result: dict[str, object]) -> None:
        start, end = header.values
        assert isinstance(start, ast.DateLit)
        result["start"] = start.value
        if isinstance(end, ast.DateLit):
            if end.value < start.value:
                self.error(end.span, f"`until {end.value}` is before `from {start.value}`")
            result["end"] = end.value

    def _header_proposed(self, header: ast.Header, result: dict[str, object]) -> None:
        result["proposed"] = True
        if header.values and isinstance(header.values[0], ast.DurationLit):
            result["after_enactment"] = header.values[0]

    # ------------------------------------------------------------- provisions
    def _provisions(self) -> dict[str, int]:
        keys: dict[str, int] = {}
        expected = "clause" if self.block.kind == "contract" else "rule"
        for index, provision in enumerate(self.block.provisions):
            if provision.kind != expected:
                self.error(
                    provision.key_span,
                    f"a {self.block.kind} has {expected}s, not {provision.kind}s: "
                    f"write `{expected} {'5.1' if expected == 'clause' else chr(34) + 'art. 1' + chr(34)}`",
                )
            if provision.key in keys:
                first = self.block.provisions[keys[provision.key]]
                self.error(
                    provision.key_span,
                    f"{provision.kind} {provision.key} is numbered twice in `{self.block.name}`; "
                    f"the first is at line {first.key_span.line}",
                )
                continue
            keys[provision.key] = index
            self._provision(provision)
        return keys

    def _provision(self, provision: ast.Provision) -> None:
        for condition in provision.when:
            self._condition(condition, "`when`")
        for condition in provision.unless:
            self._condition(condition, "`unless`")
        if not provision.effects:
            self.error(
                provision.key_span,
                f"{provision.kind} {provision.key} has no effect; add `permit`, `deny`, "
                "`require consent`, `pay` or `oblige`",
            )
        for effect in provision.effects:
            self._effect(effect)

    def _notwithstanding(
        self, keys: dict[str, int]
    ) -> tuple[tuple[int, ...], dict[int, tuple[int, ...]]]:
        provisions = self.block.provisions
        targets: dict[int, list[int]] = {}
        for index, provision in enumerate(provisions):
            if keys.get(provision.key) != index:
                continue
            for reference in provision.notwithstanding:
                target = keys.get(reference.key)
                label = f"{reference.kind} {reference.key if reference.kind == 'clause' else repr(reference.key)}"
                if target is None and self.partial:
                    continue
                if target is None:
                    hint = did_you_mean(reference.key, keys)
                    self.error(
                        reference.span,
                        f"`notwithstanding {label}`: there is no {reference.kind} {reference.key} "
                        f"in `{self.block.name}`" + (f"; {hint}" if hint else ""),
                    )
                elif target == index:
                    self.error(
                        reference.span, f"{provision.kind} {provision.key} cannot set itself aside"
                    )
                else:
                    targets.setdefault(index, []).append(target)
        # Order: a clause that sets another aside is considered before it (topological).
        setters: dict[int, list[int]] = {}
        for setter, aside in targets.items():
            for target in aside:
                setters.setdefault(target, []).append(setter)
        order: list[int] = []
        state: dict[int, int] = {}
        reported: set[int] = set()

        def visit(node: int, trail: list[int]) -> None:
            if state.get(node) == 2:
                return
            if state.get(node) == 1:
                cycle = [*trail[trail.index(node) :], node]
                start = provisions[cycle[0]]
                if cycle[0] not in reported:
                    reported.update(cycle)
                    names = " → ".join(provisions[i].key for i in cycle)
                    self.error(
                        start.key_span,
                        f"`notwithstanding` goes round in a circle ({names}); "
                        "one of these clauses must give way to the other, not both",
                    )
                return
            state[node] = 1
            for parent in setters.get(node, ()):
                visit(parent, [*trail, node])
            state[node] = 2
            order.append(node)

        for index in range(len(provisions)):
            visit(index, [])
        return tuple(order), {k: tuple(v) for k, v in targets.items()}

    # ------------------------------------------------------------- effects
    def _effect(self, effect: ast.AnyEffect) -> None:
        self._other_effect(effect)
        if isinstance(effect, ast.Permit):
            for name in effect.purposes:
                self._purpose(name)
        elif isinstance(effect, ast.RequireConsent):
            if effect.subject.kind == "each_work":
                self.error(
                    effect.subject.span,
                    "consent is given by people: require it of "
                    "`each artist in …`, `each performer of use.works` or a party",
                )
            self._subject(effect.subject)
            for duration in (effect.cap, effect.minors.cap if effect.minors else None):
                if duration is not None and duration.count <= 0:
                    self.error(duration.span, "a consent's longest term must be at least one day")
            if isinstance(effect.purposes, ast.Path):
                if effect.purposes.dotted != "use.purpose":
                    self.error(
                        effect.purposes.span,
                        f"consent is required for purposes: write `for use.purpose` or name them, "
                        f"not `{effect.purposes.dotted}`",
                    )
            elif effect.purposes:
                for name in effect.purposes:
                    self._purpose(name)
        elif isinstance(effect, ast.Pay):
            if effect.amount is None or effect.payee is None:
                return
            if effect.payee.kind == "each_work":
                self.error(
                    effect.payee.span,
                    "payments go to parties: pay `each artist in …`, "
                    "`each performer of use.works` or a party",
                )
            self.bindings = self._subject(effect.payee)
            try:
                amount_type = self.expr(effect.amount)
            finally:
                self.bindings = {}
            if amount_type.kind not in ("money", "error"):
                self.error(
                    effect.amount.span, f"`pay` needs an amount of money, but this is {amount_type}"
                )

    def _other_effect(self, effect: ast.AnyEffect) -> None:
        if isinstance(effect, ast.RequireLicence) and self.block.kind == "contract":
            self.error(
                effect.span,
                "`require licence` is for laws: a contract is itself the licence; "
                "limit what it covers with `scope`",
            )
        if isinstance(effect, ast.Risk) and self.block.kind == "contract":
            self.error(
                effect.span, "`risk` states what a law exposes one to; it belongs in a jurisdiction"
            )
        if isinstance(effect, ast.RequireLicence):
            if effect.subject.kind != "each_work":
                self.error(
                    effect.subject.span,
                    "a licence is required for works: write "
                    "`require licence for each work in use.works where …`",
                )
            self._subject(effect.subject)
        elif isinstance(effect, ast.Oblige) and effect.met is not None:
            self._condition(effect.met, "`met when`")

    def _purpose(self, name: ast.Name) -> None:
        if name.name not in self.vocabulary.purposes:
            hint = did_you_mean(name.name, self.vocabulary.purposes)
            self.error(
                name.span,
                f"`{name.name}` is not a declared purpose" + (f"; {hint}" if hint else ""),
            )

    def _subject(self, subject: ast.Subject) -> dict[str, t.Type]:
        """The names bound for the one in hand (`artist`, `weight`, `share`), after checking
        what the subject goes over and its `where` condition."""
        if subject.kind == "party":
            assert subject.party is not None
            problem = id_problem(subject.party)
            if problem:
                self.error(subject.span, problem)
            if subject.where is not None:
                self.error(
                    subject.where.span,
                    "`where` chooses among several: it goes with `each artist in …`, "
                    "`each performer of use.works` or `each work in use.works`, not a single party",
                )
            return {}
        assert subject.path is not None
        path = subject.path.dotted
        variable = subject.variable
        allowed = t.COLLECTIONS[variable]
        bindings: dict[str, t.Type] = {"share": t.NUMBER, variable: t.fields_of(variable)["id"]}
        if path not in allowed:
            hint = did_you_mean(path, allowed)
            noun = {
                "artist": "`each artist in`",
                "performer": "`each performer of`",
                "work": "`each work in`",
            }[variable]
            self.error(
                subject.path.span,
                f"{noun} goes over {' or '.join(f'`{a}`' for a in allowed)}, not `{path}`"
                + (f"; {hint}" if hint else ""),
            )
        elif path == "use.attribution":
            bindings["weight"] = t.NUMBER
        if subject.where is not None:
            saved, self.bindings = self.bindings, {**self.bindings, **bindings}
            try:
                self._condition(subject.where, "`where`")
            finally:
                self.bindings = saved
        return bindings

    # ------------------------------------------------------------- expressions
    def _condition(self, expr: ast.Expr, where: str) -> None:
        kind = self.expr(expr)
        if kind.kind not in ("boolean", "error"):
            self.error(
                expr.span, f"{where} needs a condition that is true or false, but this is {kind}"
            )

    def _definition_type(self, name: str) -> t.Type:
        if name in self.definition_types:
            return self.definition_types[name]
        definition = self.definitions[name]
        if name in self.resolving:
            cycle = " → ".join([*self.resolving[self.resolving.index(name) :], name])
            self.error(definition.span, f"the definition of `{name}` refers to itself ({cycle})")
            self.definition_types[name] = t.ERROR
            return t.ERROR
        self.resolving.append(name)
        # A definition may read the one in hand (`artist.deceased`); where it is used, that
        # one must be in hand (checked in `_name`).
        saved, self.bindings = self.bindings, {v: t.fields_of(v)["id"] for v in t.COLLECTIONS}
        saved_reads, self.reads = self.reads, set()
        try:
            result = self.expr(definition.value)
            self.definition_reads[name] = frozenset(self.reads)
        finally:
            self.bindings = saved
            self.reads = saved_reads
            self.resolving.pop()
        self.definition_types.setdefault(name, result)
        return self.definition_types[name]

    def expr(self, node: ast.Expr) -> t.Type:
        result = self._expr(node)
        self.types[id(node)] = result
        return result

    def _expr(self, node: ast.Expr) -> t.Type:
        if isinstance(node, ast.MoneyLit):
            if not is_currency(node.currency):
                meant = currency_code(node.currency)
                self.error(
                    _currency_span(node),
                    f"`{node.currency}` is not an ISO 4217 currency code"
                    + (f"; did you mean {meant}?" if meant else ""),
                )
                return t.ERROR
            return t.money(node.currency)
        if isinstance(node, ast.PercentLit):
            return t.PERCENTAGE
        if isinstance(node, ast.NumberLit):
            return t.COUNT if "." not in node.text else t.NUMBER
        if isinstance(node, ast.DateLit):
            return t.DATE
        if isinstance(node, ast.DurationLit):
            return t.DURATION
        if isinstance(node, ast.StringLit):
            return t.STRING
        if isinstance(node, ast.BoolLit):
            return t.BOOLEAN
        if isinstance(node, ast.PartyLit):
            problem = id_problem(node.id)
            if problem:
                self.error(node.span, problem)
                return t.ERROR
            return t.WORK if node.id.split(":")[0] in ("isrc", "iswc") else t.PARTY
        if isinstance(node, ast.TerritoryLit):
            problem = self.vocabulary.territories.problem(node.code)
            if problem:
                self.error(node.span, problem)
                return t.ERROR
            return t.TERRITORY
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Path):
            return self._path(node)
        if isinstance(node, ast.Binary):
            return self._binary(node)
        if isinstance(node, ast.Negate):
            inner = self.expr(node.operand)
            if inner.kind not in ("money", "number", "count", "percentage", "error"):
                self.error(node.span, f"cannot negate {inner}")
                return t.ERROR
            return inner
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Logical):
            for operand in node.operands:
                self._condition(operand, f"`{node.op}`")
            return t.BOOLEAN
        if isinstance(node, ast.Not):
            self._condition(node.operand, "`not`")
            return t.BOOLEAN
        if isinstance(node, ast.SetLit):
            kinds = {self.expr(item).kind for item in node.items} - {"error"}
            if len(kinds) > 1:
                self.error(
                    node.span,
                    "a list must hold values of one kind, such as purposes or territories",
                )
                return t.ERROR
            return t.set_of(kinds.pop()) if kinds else t.ERROR
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.PerUnit):
            rate = self.expr(node.rate)
            if node.unit not in t.PER_UNITS:
                hint = did_you_mean(node.unit, t.PER_UNITS)
                self.error(
                    node.unit_span,
                    f"`per {node.unit}`: the unit must be generation, stream, work or artist"
                    + (f"; {hint}" if hint else ""),
                )
                return t.ERROR
            if rate.kind not in ("money", "number", "count", "error"):
                self.error(
                    node.rate.span,
                    f"a rate `per {node.unit}` must be money or a number, not {rate}",
                )
                return t.ERROR
            return rate if rate.kind != "count" else t.COUNT
        if isinstance(node, ast.Tiered):
            return self._tiered(node)
        if isinstance(node, ast.Quantifier):
            return self._quantifier(node)
        raise AssertionError(f"unknown node {node!r}")  # pragma: no cover

    def _name(self, node: ast.Name) -> t.Type:
        name = node.name
        if name in self.bindings:
            if name in t.COLLECTIONS and self.reads is not None:
                self.reads.add(name)
            return self.bindings[name]
        if name in self.parameters:
            value = self.parameters[name].value
            return self.types.get(id(value)) or self.expr(value)
        if name in self.definitions:
            result = self._definition_type(name)
            reads = self.definition_reads.get(name, frozenset())
            if self.reads is not None:
                self.reads |= reads
            unbound = sorted(v for v in reads if v not in self.bindings)
            if unbound:
                self.error(
                    node.span,
                    f"`{name}` reads `{unbound[0]}`, which only exists where one is in hand — in "
                    f"the `where` of `each {unbound[0]} …`, in `any(…)`, or in a payment to each",
                )
            return result
        if name in self.vocabulary.purposes:
            return t.PURPOSE
        if name in self.vocabulary.contexts:
            return t.CONTEXT
        if name in ("weight", "share"):
            self.error(
                node.span,
                f"`{name}` only exists in the amount of `pay … to each artist in use.attribution`"
                if name == "weight"
                else f"`{name}` only exists in the amount of `pay … to each …`",
            )
            return t.ERROR
        candidates = [
            *self.parameters,
            *self.definitions,
            *self.vocabulary.purposes,
            *self.vocabulary.contexts,
            *self.bindings,
        ]
        hint = did_you_mean(name, candidates)
        if hint is None and name in t.FUNCTIONS:
            hint = f"`{name}` is a function: write `{name}(…)`"
        self.error(
            node.span,
            f"unknown name `{name}`: it is not a parameter, definition, purpose or context"
            + (f"; {hint}" if hint else ""),
        )
        return t.ERROR

    def _variable_path(self, node: ast.Path) -> t.Type:
        variable = node.parts[0]
        if self.reads is not None:
            self.reads.add(variable)
        if variable not in self.bindings:
            self.error(
                node.span,
                f"`{node.dotted}`: `{variable}` only exists where one is in hand — in the `where` "
                f"of `each {variable} …`, in `any({variable} in … where …)`, or in the amount of "
                f"`pay … to each {variable} …`",
            )
            return t.ERROR
        fields = t.fields_of(variable)
        if len(node.parts) != 2 or node.parts[1] not in fields:
            hint = did_you_mean(".".join(node.parts[1:]), fields)
            self.error(
                node.span,
                f"`{node.dotted}`: a{'' if variable == 'work' else 'n'} {variable} has the fields "
                f"{', '.join(sorted(fields))}" + (f"; {hint}" if hint else ""),
            )
            return t.ERROR
        return fields[node.parts[1]]

    def _path(self, node: ast.Path) -> t.Type:
        dotted = node.dotted
        if node.parts[0] in t.COLLECTIONS:
            return self._variable_path(node)
        if dotted in t.USE_FIELDS:
            return t.USE_FIELDS[dotted]
        if dotted.startswith("use.facts.") and len(node.parts) == 3:
            fact = node.parts[2]
            if fact in self.vocabulary.facts:
                return self.vocabulary.facts[fact]
            hint = did_you_mean(fact, self.vocabulary.facts)
            self.error(
                node.span,
                f"the fact `{fact}` is not declared; declare it with `fact {fact}: boolean`"
                + (f"; or {hint}" if hint else ""),
            )
            return t.ERROR
        candidates = [*t.USE_FIELDS, *(f"use.facts.{f}" for f in self.vocabulary.facts)]
        hint = did_you_mean(dotted, candidates)
        if node.parts[0] != "use":
            self.error(
                node.span,
                f"unknown field `{dotted}`: fields of the use start with `use.`"
                + (f"; {hint}" if hint else ""),
            )
        else:
            self.error(node.span, f"unknown field `{dotted}`" + (f"; {hint}" if hint else ""))
        return t.ERROR

    def _binary(self, node: ast.Binary) -> t.Type:
        left, right = self.expr(node.left), self.expr(node.right)
        if t.ERROR in (left, right) or "error" in (left.kind, right.kind):
            return t.ERROR
        result = arithmetic(node.op, left, right)
        if isinstance(result, str):
            self.error(node.span, result)
            return t.ERROR
        if node.op == "*" and (left.kind == "money") != (right.kind == "money"):
            self._share_of_money(node.right if left.kind == "money" else node.left)
        return result

    def _share_of_money(self, share: ast.Expr) -> None:
        """`share` multiplies an amount of money: a parameter without a unit, a share above
        the whole not declared as meant, or a negative share is an error (see
        clausula.shares for the rule, which overrides share)."""
        parameter = self._parameter_behind(share)
        if parameter is not None:
            self.shares.add(parameter.name)
            problem = share_problem(
                parameter.value, intended=parameter.above_whole is not None, name=parameter.name
            )
        else:
            problem = share_problem(share, intended=False, name=None)
        if problem is not None:
            self.error(share.span, problem)

    def _parameter_behind(self, node: ast.Expr) -> ast.Parameter | None:
        """The parameter a name stands for, through definitions that are just a name."""
        seen: set[str] = set()
        while (
            isinstance(node, ast.Name) and node.name not in seen and node.name not in self.bindings
        ):
            seen.add(node.name)
            if node.name in self.parameters:
                return self.parameters[node.name]
            if node.name not in self.definitions:
                return None
            node = self.definitions[node.name].value
        return None

    def _compare(self, node: ast.Compare) -> t.Type:
        left, right = self.expr(node.left), self.expr(node.right)
        if "error" in (left.kind, right.kind):
            return t.BOOLEAN
        if node.op in ("in", "not in"):
            if right.kind == "territory" and left.kind == "territory":
                return t.BOOLEAN
            if right.kind == "set" and right.element == left.kind:
                return t.BOOLEAN
            if right.kind == "set" and right.element == "territory" and left.kind == "territory":
                return t.BOOLEAN
            self.error(node.span, f"cannot ask whether {left} is in {right}")
            return t.BOOLEAN
        if node.op in ("is", "is not", "=", "!="):
            if _comparable(left, right):
                return t.BOOLEAN
            self.error(node.span, f"cannot compare {left} with {right}")
            return t.BOOLEAN
        if not _ordered(left, right):
            self.error(node.span, f"cannot compare {left} with {right} using `{node.op}`")
        return t.BOOLEAN

    def _call(self, node: ast.Call) -> t.Type:
        args = [self.expr(arg) for arg in node.args]
        if node.function not in t.FUNCTIONS:
            hint = did_you_mean(node.function, t.FUNCTIONS)
            self.error(
                node.function_span,
                f"there is no function `{node.function}`; the functions are "
                f"min, max and count" + (f"; {hint}" if hint else ""),
            )
            return t.ERROR
        if "error" in (a.kind for a in args):
            return t.ERROR
        if node.function == "count":
            if len(args) != 1 or args[0].kind != "set":
                self.error(node.span, "`count(…)` takes one list, such as `count(use.works)`")
                return t.ERROR
            return t.COUNT
        if len(args) < 2:
            self.error(node.span, f"`{node.function}(…)` needs at least two values")
            return t.ERROR
        result = args[0]
        for arg, expr in zip(args[1:], node.args[1:], strict=True):
            joined = _join(result, arg)
            if joined is None:
                self.error(expr.span, f"`{node.function}` cannot compare {result} with {arg}")
                return t.ERROR
            result = joined
        if result.kind not in ("money", "number", "count", "percentage", "date", "duration"):
            self.error(
                node.span,
                f"`{node.function}` needs numbers, money, percentages or dates, not {result}",
            )
            return t.ERROR
        return result

    def _quantifier(self, node: ast.Quantifier) -> t.Type:
        allowed = t.COLLECTIONS[node.variable]
        if node.path.dotted not in allowed:
            hint = did_you_mean(node.path.dotted, allowed)
            self.error(
                node.path.span,
                f"`{node.kind}({node.variable} in …)` goes over "
                f"{' or '.join(f'`{a}`' for a in allowed)}, not `{node.path.dotted}`"
                + (f"; {hint}" if hint else ""),
            )
        saved = self.bindings
        self.bindings = {**saved, node.variable: t.fields_of(node.variable)["id"]}
        try:
            self._condition(node.condition, f"`{node.kind}(… where …)`")
        finally:
            self.bindings = saved
        return t.BOOLEAN

    def _tiered(self, node: ast.Tiered) -> t.Type:
        base = self.expr(node.base)
        previous: Decimal | None = Decimal(0)
        result: t.Type | None = None
        if base.kind not in ("count", "number", "money", "error"):
            self.error(node.base.span, f"tiers apply to a count, number or money, not {base}")
            base = t.ERROR
        for index, tier in enumerate(node.tiers):
            rate = self.expr(tier.rate)
            if tier.limit is None:
                if index != len(node.tiers) - 1:
                    self.error(tier.span, "`above at …` must be the last tier")
                previous = None
            elif previous is None or tier.limit <= previous:
                self.error(
                    tier.span, "tier limits must go up: each `up to` must exceed the one before"
                )
            else:
                previous = tier.limit
            if "error" in (base.kind, rate.kind):
                continue
            amount = arithmetic("*", rate, base)
            if base.kind == "money" and rate.kind != "money":
                self._share_of_money(tier.rate)
            if isinstance(amount, str) or amount.kind != "money":
                self.error(
                    tier.rate.span,
                    f"a tier's rate times {base} must be money: use an amount per unit, "
                    "or a percentage of money",
                )
                continue
            if (
                result is not None
                and result.currency
                and amount.currency
                and result.currency != amount.currency
            ):
                self.error(tier.rate.span, f"tiers mix {result.currency} and {amount.currency}")
            result = amount if result is None or not result.currency else result
        return result or t.ERROR


# ----------------------------------------------------------------- type rules


def _currency_span(node: ast.MoneyLit) -> Span:
    """The place of the currency in `3000 EURO`: the last word of the literal."""
    span = node.span
    if span.line != span.end_line or span.end_column <= span.column:
        return span
    return span._replace(column=span.end_column - len(node.currency))


def _comparable(left: t.Type, right: t.Type) -> bool:
    if left.kind == right.kind:
        return not (
            left.kind == "money"
            and left.currency
            and right.currency
            and left.currency != right.currency
        )
    return left.is_numeric and right.is_numeric


def _ordered(left: t.Type, right: t.Type) -> bool:
    if left.kind == right.kind and left.kind in (
        "money",
        "date",
        "duration",
        "number",
        "count",
        "percentage",
    ):
        return _comparable(left, right)
    return left.kind in ("number", "count") and right.kind in ("number", "count")


def _join(left: t.Type, right: t.Type) -> t.Type | None:
    if left.kind == right.kind:
        if left.kind == "money":
            if left.currency and right.currency and left.currency != right.currency:
                return None
            return t.money(left.currency or right.currency)
        return left
    if {left.kind, right.kind} <= {"number", "count"}:
        return t.NUMBER
    return None


def arithmetic(op: str, left: t.Type, right: t.Type) -> t.Type | str:
    """The type of `left op right`, or a plain sentence saying why it makes no sense."""
    lk, rk = left.kind, right.kind
    if op in ("+", "-"):
        verb = "add" if op == "+" else "subtract"
        if lk == rk == "money":
            if left.currency and right.currency and left.currency != right.currency:
                return f"cannot {verb} {left.currency} and {right.currency}: amounts in different currencies never mix"
            return t.money(left.currency or right.currency)
        if lk == rk and lk in ("count", "percentage", "duration"):
            return left
        if {lk, rk} <= {"number", "count"}:
            return t.NUMBER
        if lk == "date" and rk == "duration":
            return t.DATE
        if op == "-" and lk == rk == "date":
            return t.DURATION  # the days between two dates
        return f"cannot {verb} {right} {'to' if op == '+' else 'from'} {left}"
    if op == "*":
        if lk == "money" and rk == "money":
            return "cannot multiply money by money"
        if lk == "money" and rk in t.NUMERIC:
            return left
        if rk == "money" and lk in t.NUMERIC:
            return right
        if lk == rk == "count":
            return t.COUNT
        if {lk, rk} == {"duration", "count"}:
            return t.DURATION
        if lk == rk == "percentage":
            return t.PERCENTAGE
        if lk in t.NUMERIC and rk in t.NUMERIC:
            return t.NUMBER
        return f"cannot multiply {left} by {right}"
    if op == "/":
        if lk == "money" and rk in t.NUMERIC:
            return left
        if lk == rk == "money":
            if left.currency and right.currency and left.currency != right.currency:
                return f"cannot divide {left.currency} by {right.currency}"
            return t.NUMBER
        if lk in t.NUMERIC and rk in t.NUMERIC:
            return t.NUMBER
        return f"cannot divide {left} by {right}"
    return f"unknown operator {op}"  # pragma: no cover
