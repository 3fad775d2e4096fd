"""`clausula analyze`: what can never happen, and what can go wrong, in each contract and pack.

Claims that something *never* happens (a dead clause, an `unless` that never matters, a
permit overridden in every case) are proofs over every use and every record (atoms free).
Claims that something *can* happen (a conflict, a gap, a share above 100%, a negative
payment) come with a witness use, searched among uses without works or artists, and
re-decided by the engine: a witness the engine does not confirm is reported as a bug of
the analysis (`engine-disagrees`), never as a finding. A check the solver cannot settle in
its time limit, or that depends on what is not encoded, is `unknown`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import z3

from ..compiler import _text
from ..diagnostics import Diagnostic, Span
from ..models import Decision
from ..use_input import UseError
from .encode import FALSE, BlockSym, Encoder, ProvisionSym
from .load import Loaded, encoder_for, load, space_for
from .procedure import DecisionSym, decision
from .region import region
from .solver import DEFAULT_TIMEOUT_MS, Answer, solve, unencoded_in
from .space import Space

#: Kinds of finding, in the order a report lists them.
KINDS = (
    "dead",
    "set-aside",
    "unless-never-matters",
    "overridden",
    "conflict",
    "gap",
    "share-over-100",
    "negative-payment",
    "never-decides",
    "unknown",
    "engine-disagrees",
)


@dataclass
class Finding:
    """One finding: what, where (`path:line:col`), and a witness use when one exists."""

    kind: str
    block: str
    where: str
    message: str
    witness: dict[str, Any] | None = None
    region: str | None = None
    line: int = 0
    column: int = 0
    path: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "block": self.block,
            "where": self.where,
            "message": self.message,
        }
        if self.region:
            out["region"] = self.region
        if self.witness is not None:
            out["witness"] = self.witness
        return out

    def diagnostic(self, path: str, source_line: str | None = None) -> Diagnostic:
        """The finding as a warning at its place in `path` (for `check --analyze`, the
        language server and the workbench)."""
        message = f"{self.kind}: {self.message}"
        if self.region:
            message += f" (region: {self.region})"
        return Diagnostic(
            Span(path, self.line, self.column), message, severity="warning", source_line=source_line
        )


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checks: int = 0
    seconds: float = 0.0

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


class Analysis:
    """The checks of one loaded policy set."""

    def __init__(self, loaded: Loaded, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.loaded = loaded
        self.timeout_ms = timeout_ms
        self.atoms: dict[str, Any] = {}
        self.space: Space = space_for([loaded])
        self.encoder: Encoder = encoder_for(self.space, loaded, self.atoms)
        self.engine = loaded.policy.policy_set
        self.report = Report()
        self._decisions: dict[str | None, DecisionSym] = {}

    # ------------------------------------------------------------- plumbing
    def _solve(self, formulas: Sequence[Any], *, closed: bool, simplest: bool = False) -> Answer:
        self.report.checks += 1
        return solve(
            self.space,
            self.atoms,
            formulas,
            closed=closed,
            timeout_ms=self.timeout_ms,
            simplest=simplest,
        )

    def decision(self, licensee: str | None) -> DecisionSym:
        if licensee not in self._decisions:
            self._decisions[licensee] = decision(self.encoder, self.loaded.assumed, licensee)
        return self._decisions[licensee]

    def _add(self, kind: str, block: BlockSym, span: Any, message: str, **extra: Any) -> Finding:
        finding = Finding(
            kind,
            block.compiled.name,
            self.loaded.where(span),
            message,
            line=span.line,
            column=span.column,
            path=self.loaded.shown.get(span.path, span.path),
            **extra,
        )
        self.report.findings.append(finding)
        return finding

    def _unknown(
        self, block: BlockSym, span: Any, check: str, answer: Answer, keys: set[str]
    ) -> None:
        missing = unencoded_in(self.atoms, keys)
        why = (
            f"the solver gave no answer within {self.timeout_ms} ms"
            if answer.status == "unknown"
            else "it depends on " + ", ".join(missing)
            if missing
            else "a witness would need works or artists, which the analysis does not build"
        )
        self._add("unknown", block, span, f"{check}: not decided, {why}")

    def _witness(
        self,
        block: BlockSym,
        span: Any,
        kind: str,
        formulas: Sequence[Any],
        message: Callable[[dict[str, Any]], str],
        confirm: Callable[[dict[str, Any], Decision | UseError], bool],
        keys: set[str],
        *,
        region: Callable[[], str] | None = None,
    ) -> bool:
        """Search a witness in the closed world and have the engine confirm it; True when a
        finding (or an honest unknown) was reported."""
        closed = self._solve(formulas, closed=True, simplest=True)
        if closed.status == "sat":
            licensee = block.compiled.licensee
            use = self.space.witness(closed.model, licensee=licensee)
            try:
                outcome: Decision | UseError = self.engine.decide(use)
            except UseError as error:
                outcome = error
            if confirm(use, outcome):
                self._add(
                    kind,
                    block,
                    span,
                    message(use),
                    witness=use,
                    region=region() if region else None,
                )
            elif unencoded_in(self.atoms, keys):
                self._unknown(block, span, kind, Answer("unsat"), keys)
            else:
                self._add(
                    "engine-disagrees",
                    block,
                    span,
                    f"{kind}: the engine does not confirm the witness (a bug of the analysis)",
                    witness=use,
                )
            return True
        if closed.status == "unknown":
            self._unknown(block, span, kind, closed, keys)
            return True
        opened = self._solve(formulas, closed=False)
        if opened.status == "unsat":
            return False
        self._unknown(block, span, kind, opened, keys)
        return True

    # ------------------------------------------------------------- the checks
    def run(self) -> Report:
        import time

        started = time.perf_counter()
        for name in sorted(self.encoder.blocks):
            block = self.encoder.blocks[name]
            self._block(block)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _block(self, block: BlockSym) -> None:
        scope = block.applies
        live: list[ProvisionSym] = []
        for p in block.provisions:
            keys = p.atoms | block.atoms
            can = self._solve([scope, p.holds], closed=False)
            if can.status == "unsat":
                self._add(
                    "dead",
                    block,
                    p.node.key_span,
                    f"{p.label} can never apply: its conditions contradict each other or "
                    f"{'the contract' if block.compiled.kind == 'contract' else 'the pack'}'s scope",
                )
                continue
            if can.status == "unknown":
                self._unknown(block, p.node.key_span, "dead clause", can, keys)
                continue
            if self._solve([scope, p.active], closed=False).status == "unsat":
                self._add(
                    "set-aside",
                    block,
                    p.node.key_span,
                    f"{p.label} is set aside by a `notwithstanding` whenever it applies",
                )
                continue
            live.append(p)
            self._unless(block, p)
        if block.compiled.kind == "contract":
            self._permits(block, live)
            self._gaps(block)
        self._payments(block, live)

    def _unless(self, block: BlockSym, p: ProvisionSym) -> None:
        for index, line in enumerate(p.node.unless):
            others = [u for j, u in enumerate(p.unless) if j != index]
            formulas = [block.applies, p.when, p.unless[index]]
            if others:
                formulas.append(z3.Not(z3.Or(others)))
            answer = self._solve(formulas, closed=False)
            if answer.status == "unsat":
                self._add(
                    "unless-never-matters",
                    block,
                    line.span,
                    f"{p.label}: `unless {_text(line)}` never matters: whenever it holds, the "
                    "clause would not apply anyway",
                )
            elif answer.status == "unknown":
                self._unknown(block, line.span, "unless never matters", answer, p.atoms)

    def _purposes(self, names: frozenset[str]) -> Any:
        return z3.Or([self.space.purpose_is(n) for n in sorted(names)] or [FALSE])

    def _permits(self, block: BlockSym, live: list[ProvisionSym]) -> None:
        # The message and confirmation callbacks run inside `_witness`, before the loops
        # move on: they may read the loop's variables.
        for p in live:
            if not p.permits:
                continue
            permit = z3.And(block.applies, p.active, self._purposes(p.permits))
            keys = p.atoms | block.atoms
            answer = self._solve([permit, z3.Not(block.blocked)], closed=False)
            if answer.status == "unsat":
                self._witness(
                    block,
                    p.node.key_span,
                    "overridden",
                    [permit],
                    _says(
                        f"{_lit(p.label)} permits {', '.join(sorted(p.permits))} but is overridden "
                        "in every case (e.g. {purpose} on {date} is denied)"
                    ),
                    _denied_with({("permit", p.label)}),
                    keys,
                )
                continue
            for d in live:
                if not d.denies or d is p:
                    continue
                beyond = self._solve(
                    [block.applies, d.active, self._purposes(p.permits), z3.Not(p.active)],
                    closed=False,
                )
                narrower = self._solve([permit, z3.Not(d.active)], closed=False)
                if beyond.status != "sat" or narrower.status != "sat":
                    continue  # a deny inside the permit is a carve-out, as written
                self._witness(
                    block,
                    d.node.key_span,
                    "conflict",
                    [permit, d.active],
                    _says(
                        f"{_lit(d.label)} denies and {_lit(p.label)} permits the same use "
                        "({purpose} in {territory} on {date}); the deny wins, "
                        "and neither clause's conditions contain the other's"
                    ),
                    _denied_with({("permit", p.label), ("deny", d.label)}),
                    keys | d.atoms,
                )

    def _gaps(self, block: BlockSym) -> None:
        purposes = frozenset().union(*(p.permits for p in block.provisions))
        if not purposes:
            return
        denies = [p.active for p in block.provisions if p.denies]
        gap = [
            block.applies,
            self._purposes(purposes),
            z3.Not(block.permitted),
            z3.Not(z3.Or(denies)) if denies else z3.BoolVal(True),
        ]
        name = block.compiled.name
        self._witness(
            block,
            block.checked.block.name_span,
            "gap",
            gap,
            lambda use: (
                f"{name}: {use['purpose']} in {use['territory']} on {use['date']} is in "
                "the contract's scope but no clause permits or denies it (it falls to the default deny)"
            ),
            lambda use, out: (
                isinstance(out, Decision)
                and out.decision == "deny"
                and not any(
                    r.rule.startswith(name + " ") and r.effect in ("permit", "deny")
                    for r in out.reasons
                )
            ),
            block.atoms,
            region=lambda: self.region(gap),
        )

    def _payments(self, block: BlockSym, live: list[ProvisionSym]) -> None:
        space = self.space
        if block.compiled.kind == "contract":
            reached = self.decision(block.compiled.licensee).chosen[block.compiled.name]
        else:
            reached = z3.And(
                self.decision(None).licensed, self.decision(None).packs[block.compiled.name]
            )
        rules: set[str] = set()
        revenue_total: Any = z3.RealVal(0)
        total: Any = z3.RealVal(0)
        keys = set(block.atoms)
        for p in live:
            for term in p.pays:
                rules.add(p.label)
                keys |= p.atoms
                on = z3.And(p.active, term.nonempty)
                revenue_total = revenue_total + z3.If(on, term.revenue_part, 0)
                total = total + z3.If(on, term.amount, 0)
                self._witness(
                    block,
                    term.span.span if term.span else p.node.key_span,
                    "negative-payment",
                    [reached, on, term.amount < 0],
                    _says(f"{_lit(p.label)} can pay a negative amount (e.g. revenue {{revenue}})"),
                    lambda use, out: isinstance(out, UseError) and "negative" in str(out),
                    keys,
                )
                self._extremes(block, p, term, reached)
        if not rules:
            return
        self._both_pay(block, live, reached, keys)
        over = [reached, space.cents > 0, revenue_total > space.revenue]
        first = next(p for p in live if p.pays)
        self._witness(
            block,
            first.node.key_span,
            "share-over-100",
            [*over, total - space.revenue >= Decimal("0.05")],
            lambda use: (
                f"{block.compiled.name}: its shares of revenue add up to more than 100% "
                f"(revenue {use['metrics']['revenue']['amount']} pays more)"
            ),
            lambda use, out: (
                isinstance(out, Decision)
                and sum((x.amount for x in out.payments if x.rule in rules), Decimal(0))
                > Decimal(use["metrics"]["revenue"]["amount"])
            ),
            keys,
        )

    def _both_pay(
        self, block: BlockSym, live: list[ProvisionSym], reached: Any, keys: set[str]
    ) -> None:
        """Two clauses that pay the same party for the same use: alternatives (a fee or a
        share, a minimum or a royalty) that both hold, so the party is paid twice, unless one
        sets the other aside (`notwithstanding`) or their conditions exclude each other."""
        paying = [(p, term) for p in live for term in p.pays if not term.each]
        for i, (p, first) in enumerate(paying):
            for q, second in paying[i + 1 :]:
                if p is q or first.payee != second.payee or first.currency != second.currency:
                    continue
                payee, labels = first.payee, {p.label, q.label}

                def both_paid(
                    use: dict[str, Any],
                    out: Decision | UseError,
                    payee: str = payee,
                    labels: set[str] = labels,
                ) -> bool:
                    if not isinstance(out, Decision):
                        return False
                    return labels <= {x.rule for x in out.payments if x.payee == payee}

                self._witness(
                    block,
                    q.node.key_span,
                    "both-pay",
                    [
                        reached,
                        p.active,
                        q.active,
                        first.nonempty,
                        second.nonempty,
                        first.amount > 0,
                        second.amount > 0,
                    ],
                    _says(
                        f"{_lit(p.label)} and {_lit(q.label)} both pay {_lit(payee)} for the "
                        "same use (e.g. a {purpose} in {territory} on {date}): if they are "
                        "alternatives, one should set the other aside with `notwithstanding` "
                        "or their conditions exclude each other"
                    ),
                    both_paid,
                    keys | p.atoms | q.atoms,
                )

    def _extremes(self, block: BlockSym, p: ProvisionSym, term: Any, reached: Any) -> None:
        for call, values in term.extremes:
            for index, value in enumerate(values):
                others = [v for j, v in enumerate(values) if j != index]
                beats = [value > o if call.function == "max" else value < o for o in others]
                answer = self._solve([block.applies, p.active, *beats], closed=False)
                if answer.status == "unsat":
                    kept = "minimum" if call.function == "max" else "cap"
                    self._add(
                        "never-decides",
                        block,
                        call.args[index].span,
                        f"{p.label}: `{_text(call.args[index])}` never decides "
                        f"`{_text(call)}`: another argument is always at least as "
                        f"{'large' if call.function == 'max' else 'small'} (a {kept} that makes "
                        "it irrelevant)",
                    )

    # ------------------------------------------------------------- regions
    def region(self, formulas: list[Any]) -> str:
        """Where `formulas` hold (see `region.region`)."""
        return region(
            self.space,
            self.atoms,
            formulas,
            self._count,
            self.timeout_ms,
        )

    def _count(self) -> None:
        """One more check (for the report's count)."""
        self.report.checks += 1


def _lit(text: str) -> str:
    """`text` inside a `_says` template, as written (a rule key may hold braces)."""
    return text.replace("{", "{{").replace("}", "}}")


def _says(template: str) -> Callable[[dict[str, Any]], str]:
    """A finding's message: `template` with the witness's purpose, territory, date, revenue."""

    def message(use: dict[str, Any]) -> str:
        return template.format(
            purpose=use["purpose"],
            territory=use["territory"],
            date=use["date"],
            revenue=use["metrics"]["revenue"]["amount"],
        )

    return message


def _denied_with(
    wanted: set[tuple[str, str]],
) -> Callable[[dict[str, Any], Decision | UseError], bool]:
    """The engine confirms when it denies with every (effect, rule) of `wanted` among its
    reasons."""

    def confirm(use: dict[str, Any], out: Decision | UseError) -> bool:
        if not isinstance(out, Decision) or out.decision != "deny":
            return False
        return wanted <= {(r.effect, r.rule) for r in out.reasons}

    return confirm


def analyze(
    paths: Sequence[str | Path],
    data: str | Path | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Report:
    """Analyse the policy set at `paths` (data from `data`, default `<dir>/data`)."""
    if data is None:
        for path in paths:
            candidate = Path(path) / "data"
            if candidate.is_dir():
                data = candidate
                break
    return Analysis(load(paths, data), timeout_ms).run()


#: The time one check may take in the language server (it runs as the author types).
EDITOR_TIMEOUT_MS = 1000


def analyze_text(text: str, timeout_ms: int = EDITOR_TIMEOUT_MS) -> list[Finding]:
    """The findings of one clause text checked alone (as the language server checks it),
    with their line and column in that text. The text is written to a private temporary
    directory so that the engine's own loader reads it; nothing else is read."""
    import tempfile

    from ..diagnostics import PolicyError

    with tempfile.TemporaryDirectory(prefix="clausula-analyze-") as directory:
        path = Path(directory) / "text.clause"
        path.write_text(text, encoding="utf-8")
        try:
            return Analysis(load([path]), timeout_ms).run().findings
        except PolicyError:
            return []  # the checker's own diagnostics say what is wrong
