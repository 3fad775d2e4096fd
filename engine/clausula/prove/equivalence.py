"""`clausula diff OLD NEW --prove`: a proof that two versions of terms decide alike, or,
for each kind of difference, a minimal witness use (re-decided by the engine with both
versions) and the region where it happens; for payments, the range of the difference.

Both versions are encoded over one symbolic use and share their atoms (the same consent
requirement, written alike, is one variable), with the same records (the data files given,
or none). The use's licensee is each side's own (as in the sample-based `diff`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import z3

from ..kinds import DENYING
from ..models import Decision
from ..use_input import UseError
from .encode import Atom, PayTerm
from .formula import Formula, NotAFormula, figures_of, read
from .load import Loaded, encoder_for, load, space_for
from .pieces import (
    Conjunction,
    Piece,
    TooManyPieces,
    amount_words,
    merged,
    sign_of,
    split,
    term,
    where_words,
)
from .procedure import decision
from .records import WITNESS_ARTIST, Records, holder_for, records_for
from .records import peopled as with_people
from .region import region
from .solver import DEFAULT_TIMEOUT_MS, extreme, solve, unencoded_in
from .space import Space

#: The most payment clauses to one payee (both versions together) whose regions are listed
#: one by one (each subset of them is a region: 2**n of them).
MAX_PAYMENT_TERMS = 8


@dataclass
class PaymentPiece:
    """Where a payment difference is one linear formula, and a use there the engine
    decided with both versions."""

    where: str  # "where revenue is at least …" ("" for everywhere in the region)
    formula: str  # what the new terms pay compared with the old: "5% of revenue less"
    exact: Formula  # new − old there (linear)
    witness: dict[str, Any] | None = None
    records: Records | None = None
    paid: tuple[Decimal, Decimal] | None = None  # old, new to the witness's payee

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"where": self.where, "formula": self.formula}
        if self.witness is not None:
            out["witness"] = self.witness
        if self.records is not None:
            out["records"] = self.records
        if self.paid is not None:
            out["paid"] = [str(v) for v in self.paid]
        return out


@dataclass
class Difference:
    """One kind of difference: what changed, where, an example, and the clauses behind it."""

    kind: str  # now-denied | now-licensed | payment | unknown | engine-disagrees
    message: str
    region: str | None = None
    witness: dict[str, Any] | None = None
    rules: list[str] = field(default_factory=list)
    payee: str | None = None
    # A payment's change per use: its least and greatest (None: unbounded; "unknown": the
    # solver could not find it in time).
    low: Decimal | Literal["unknown"] | None = None
    high: Decimal | Literal["unknown"] | None = None
    formula: str | None = None  # a payment's new − old, in words
    records: Records | None = None  # entries of the data files the witness needs
    currency: str | None = None
    exact: Formula | None = None  # the formula itself (for callers and tests)
    pieces: list[PaymentPiece] = field(default_factory=list)  # by which max/min wins

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        for name in ("region", "witness", "records", "payee", "formula", "currency"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.rules:
            out["rules"] = self.rules
        if self.pieces:
            out["pieces"] = [piece.as_dict() for piece in self.pieces]
        if self.low is not None or self.high is not None:
            out["range"] = [None if v is None else str(v) for v in (self.low, self.high)]
        return out


@dataclass
class Region:
    """A payment region as `_pieces` needs it: the uses (`where`) in which the same
    clauses pay `payee` on each side, new − old there (`change`, z3), and how a witness
    is asked for (whole cents on each side, with one work, artist and grant or none)."""

    what: str
    payee: str
    where: list[Any]
    paid: list[tuple[str, tuple[Any, PayTerm, str]]]
    change: Any
    cents: list[Any]
    currency: str
    peopled: bool


@dataclass
class Proof:
    equivalent: bool
    differences: list[Difference]
    checks: int = 0
    seconds: float = 0.0


def _licensee(loaded: Loaded, given: str | None, side: str) -> str:
    if given:
        return given
    names = sorted({b.licensee for b in loaded.policy.checked.contracts if b.licensee})
    if len(names) != 1:
        raise ValueError(
            f"the {side} terms license {len(names)} licensees ({', '.join(names) or 'none'}); "
            "say which with --old-licensee / --new-licensee"
        )
    return names[0]


class Prover:
    def __init__(
        self,
        old: Loaded,
        new: Loaded,
        licensees: tuple[str | None, str | None] = (None, None),
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> None:
        self.old, self.new = old, new
        self.lic_old = _licensee(old, licensees[0], "old")
        self.lic_new = _licensee(new, licensees[1], "new")
        self.timeout_ms = timeout_ms
        self.atoms: dict[str, Atom] = {}
        self.space: Space = space_for([old, new], (self.lic_old, self.lic_new))
        self.d_old = decision(encoder_for(self.space, old, self.atoms), old.assumed, self.lic_old)
        self.d_new = decision(encoder_for(self.space, new, self.atoms), new.assumed, self.lic_new)
        self.checks = 0

    def _solve(
        self,
        formulas: Sequence[Any],
        *,
        closed: bool,
        simplest: bool = False,
        peopled: bool = False,
    ) -> Any:
        self.checks += 1
        return solve(
            self.space,
            self.atoms,
            formulas,
            closed=closed,
            timeout_ms=self.timeout_ms,
            simplest=simplest,
            peopled=peopled,
        )

    def _decide(
        self, use: dict[str, Any], records: Records | None = None
    ) -> tuple[Decision | UseError, Decision | UseError]:
        """The engine's decisions of `use` with both versions (with `records` added to
        the data, the same for both)."""
        out: list[Decision | UseError] = []
        for loaded, licensee in ((self.old, self.lic_old), (self.new, self.lic_new)):
            engine = loaded.policy.policy_set if records is None else loaded.with_records(records)
            try:
                out.append(engine.decide({**use, "licensee": licensee}))
            except UseError as error:
                out.append(error)
        return out[0], out[1]

    def region(self, formulas: list[Any], *, peopled: bool = False) -> str:
        return region(self.space, self.atoms, formulas, self._count, self.timeout_ms, peopled)

    def _count(self) -> None:
        """One more check (for the report's count)."""
        self.checks += 1

    def run(self) -> Proof:
        import time

        started = time.perf_counter()
        differences: list[Difference] = []
        old_ok, new_ok = self.d_old.licensed, self.d_new.licensed
        # One difference per purpose: a region reads plainly, and each has its own cause.
        for purpose in self.space.purposes:
            on = self.space.purpose_is(purpose)
            for kind, formulas, expect in (
                ("now-denied", [on, old_ok, z3.Not(new_ok)], (True, False)),
                ("now-licensed", [on, z3.Not(old_ok), new_ok], (False, True)),
            ):
                found = self._difference(kind, formulas, expect)
                if found is not None:
                    differences.append(found)
            for payee in sorted(set(self.d_old.paid) | set(self.d_new.paid)):
                differences += self._payments(payee, on, purpose)
        return Proof(not differences, differences, self.checks, time.perf_counter() - started)

    def _keys(self) -> set[str]:
        return set(self.atoms)

    def _difference(
        self, kind: str, formulas: list[Any], expect: tuple[bool, bool]
    ) -> Difference | None:
        opened = self._solve(formulas, closed=False)
        if opened.status == "unsat":
            return None
        closed = self._solve(formulas, closed=True, simplest=True)
        people = False
        if closed.status == "unsat":
            # Not without works or artists: with one work, artist and grant, then.
            closed = self._solve(formulas, closed=True, simplest=True, peopled=True)
            people = True
        if closed.status != "sat":
            purpose = next(
                (
                    p
                    for p in self.space.purposes
                    if z3.is_true(
                        z3.simplify(
                            z3.substitute(
                                formulas[0],
                                (self.space.purpose, z3.IntVal(self.space.purposes.index(p))),
                            )
                        )
                    )
                ),
                "",
            )
            return self._unknown(f"{purpose}: {kind}", closed.status)
        use = self.space.witness(closed.model)
        records = None
        if people:
            use, records = self._peopled(use)
        old, new = self._decide(use, records)
        if not (_licensed(old) == expect[0] and _licensed(new) == expect[1]):
            if people:
                return self._not_confirmed(kind, use, records, old, new, people)
            return Difference(
                "engine-disagrees",
                f"{kind}: the engine does not confirm the witness (a bug of the analysis)",
                witness=use,
            )
        region = self.region(formulas, peopled=people)
        if kind == "now-denied":
            rules = _denying_rules(new) - _denying_rules(old)
            message = f"{region}: now denied by {', '.join(sorted(rules)) or 'the new terms'}"
        else:
            rules = _denying_rules(old) - _denying_rules(new)
            permits = (
                sorted({r.rule for r in new.reasons if r.effect == "permit"})
                if isinstance(new, Decision)
                else []
            )
            message = f"{region}: now licensed under {', '.join(permits) or 'the new terms'}" + (
                f" (was denied by {', '.join(sorted(rules))})" if rules else ""
            )
        message += f"; e.g. {_brief(use)}"
        return Difference(kind, message, region, use, sorted(rules), records=records)

    def _payments(self, payee: str, on: Any, purpose: str) -> list[Difference]:
        """The payment differences to `payee` for one purpose: one per region of uses in
        which the same clauses pay on each side (both versions license the use), with the
        difference as a formula of the use's figures, its range, and a witness."""
        zero = z3.RealVal(0)
        both = [on, self.d_old.licensed, self.d_new.licensed]
        change = self.d_new.paid.get(payee, zero) - self.d_old.paid.get(payee, zero)
        if self._solve([*both, change != 0], closed=False).status == "unsat":
            return []
        terms = [("old", t) for t in self.d_old.terms.get(payee, [])]
        terms += [("new", t) for t in self.d_new.terms.get(payee, [])]
        if len(terms) > MAX_PAYMENT_TERMS:
            return [
                Difference(
                    "unknown",
                    f"{purpose}: payment to {payee}: not decided, {len(terms)} payment clauses "
                    f"(more than {MAX_PAYMENT_TERMS}) make too many regions to list",
                    payee=payee,
                )
            ]
        out: list[Difference] = []
        for mask in itertools.product((True, False), repeat=len(terms)):
            paid = [term for term, on_ in zip(terms, mask, strict=True) if on_]
            if not paid:
                continue
            where = [*both] + [
                cond if on_ else z3.Not(cond)
                for (_, (cond, _, _)), on_ in zip(terms, mask, strict=True)
            ]
            found = self._payment_region(payee, purpose, paid, where)
            if found is not None:
                out.append(found)
        return out

    def _payment_region(
        self,
        payee: str,
        purpose: str,
        paid: list[tuple[str, tuple[Any, PayTerm, str]]],
        where: list[Any],
    ) -> Difference | None:
        space = self.space
        amounts = {
            side: sum((t.amount for s, (_, t, _) in paid if s == side), z3.RealVal(0))
            for side in ("old", "new")
        }
        change = amounts["new"] - amounts["old"]
        currencies = sorted({t.currency for _, (_, t, _) in paid})
        rules = sorted({f"{side}: {rule}" for side, (_, _, rule) in paid})
        formula: Formula | None = None
        why = ""
        try:
            formula = Formula()
            for side, (_, term, _) in paid:
                formula = formula.plus(read(term.amount), Fraction(1 if side == "new" else -1))
            formula = formula.simplest()
        except NotAFormula as problem:
            formula, why = None, str(problem)
        if formula is not None and formula.zero:
            return None
        opened = self._solve([*where, change != 0], closed=False)
        if opened.status == "unsat":
            return None
        what = f"{purpose}: payment to {payee} under {', '.join(rules)}"
        if opened.status == "unknown":
            return self._unknown(what, "unknown")
        if len(currencies) > 1:
            return Difference(
                "unknown",
                f"{what}: not decided, the versions pay in different currencies "
                f"({', '.join(currencies)}), which are never added together",
                payee=payee,
                rules=rules,
            )
        currency = currencies[0]
        each = any(t.each for _, (_, t, _) in paid)
        visible = z3.Or(change >= Decimal("0.01"), change <= Decimal("-0.01"))
        # Whole cents on each side: the engine's rounding then changes nothing, and its
        # payments differ by exactly what the formula says.
        cents = [
            amounts[side] * 100 == z3.ToReal(z3.Int(f"witness.{side}.cents"))
            for side in ("old", "new")
        ]
        answer, peopled = None, False
        for peopled in (False, True) if not each else (True,):
            for extra in (cents, []):
                answer = self._solve(
                    [*where, visible, *extra], closed=True, simplest=True, peopled=peopled
                )
                if answer.status == "sat":
                    break
            if answer is not None and answer.status == "sat":
                break
        if answer is None or answer.status != "sat":
            return self._unknown(what, "unknown" if answer and answer.status == "unknown" else "")
        use = space.witness(answer.model)
        records = None
        if peopled:
            use, records = self._peopled(use)
        expected = _fraction(answer.model.eval(change, model_completion=True))
        d_old, d_new = self._decide(use, records)
        if not (isinstance(d_old, Decision) and isinstance(d_new, Decision)):
            return self._not_confirmed(what, use, records, d_old, d_new, peopled)
        to = WITNESS_ARTIST if each else payee
        old_rules = set(self.d_old.payee_rules.get(payee, []))
        new_rules = set(self.d_new.payee_rules.get(payee, []))
        paid_old, paid_new = _paid(d_old, to, old_rules), _paid(d_new, to, new_rules)
        engine_change = paid_new - paid_old
        figures = _figures(use)
        said = None if formula is None else formula.value(figures)
        tolerance = Decimal("0.01") * (1 + len(d_old.payments) + len(d_new.payments))
        exact = Fraction(engine_change) == expected
        if not exact and (abs(Fraction(engine_change) - expected) > tolerance):
            return self._not_confirmed(what, use, records, d_old, d_new, peopled)
        if said is not None and said != expected:
            return Difference(
                "engine-disagrees",
                f"{what}: the formula gives {said}, the encoding {expected} (a bug of the analysis)",
                witness=use,
            )
        low = self._bound(where, change, maximize=False)
        high = self._bound(where, change, maximize=True)
        span = (
            f"from {_bound_words(low, 'below', currency)} to "
            f"{_bound_words(high, 'above', currency)} per use"
        )
        region = self.region([*where, change != 0], peopled=peopled)
        who = _payee_words(payee, paid)
        example = f"e.g. {_brief(use)}: {paid_old} → {paid_new} {currency}"
        pieces: list[PaymentPiece] = []
        if formula is None:
            sentence = f"new − old = not a formula of the use's figures ({why}); {span}; {example}"
        else:
            found = self._pieces(
                formula,
                Region(what, payee, where, paid, change, cents, currency, peopled),
            )
            if isinstance(found, Difference):
                return found
            if isinstance(found, str):
                sentence = f"new − old = {formula.words(currency)} ({found}); {span}; {example}"
            elif len(found) == 1:
                sentence = f"the new terms pay {found[0].formula}; {span}; {example}"
            else:
                pieces = found
                sentence = "the new terms pay " + "; ".join(map(_piece_words, found)) + f"; {span}"
        message = f"{who} ({region}; {', '.join(rules)}): {sentence}"
        return Difference(
            "payment",
            message,
            region,
            use,
            rules,
            payee=payee,
            low=low if low is None or isinstance(low, str) else _decimal(low),
            high=high if high is None or isinstance(high, str) else _decimal(high),
            formula=None if formula is None else formula.words(currency),
            records=records,
            currency=currency,
            pieces=pieces,
            exact=formula,
        )

    def _pieces(self, formula: Formula, at: Region) -> list[PaymentPiece] | str | Difference:
        """`formula` (new − old in the region) in pieces by which argument of each
        `max`/`min` wins (`pieces`): empty ones dropped, equal ones merged, each condition
        without what the others and the region imply, and, when there are several, each
        with a witness inside it whose payments the engine makes differ by exactly the
        piece's formula. A reason (str) when not split; a Difference when the engine or
        the encoding disagrees."""
        figures: dict[str, Any] = {}
        try:
            for _, (_, pay, _) in at.paid:
                figures_of(pay.amount, figures)
        except NotAFormula as problem:
            return f"not split into pieces: {problem}"

        def holds(condition: Formula, strict: bool) -> Any:
            value = term(condition, figures)
            return value > 0 if strict else value >= 0

        def inside(piece: Piece, strict: bool) -> Any:
            return z3.Or([z3.And([holds(c, strict) for c in each]) for each in piece.where])

        seen: dict[tuple[Conjunction, bool], bool] = {}

        def feasible(strict: bool) -> Any:
            def ask(where: Conjunction) -> bool:
                if (where, strict) not in seen:
                    found = self._solve(
                        [*at.where, *(holds(c, strict) for c in where)], closed=False
                    )
                    seen[where, strict] = found.status != "unsat"  # unknown: kept
                return seen[where, strict]

            return ask

        try:
            # Pieces with room inside (strict inequalities): a piece that is only a
            # boundary of others says nothing they do not. Unless the region itself is
            # such a boundary: then with the boundaries (every use has a winner).
            pieces = merged(split(formula, feasible(True)))
            missed = [*at.where, z3.Not(z3.Or([inside(p, False) for p in pieces]))]
            if not pieces or self._solve(missed, closed=False).status != "unsat":
                pieces = merged(split(formula, feasible(False)))
        except TooManyPieces as many:
            return f"not split into pieces: {many}"
        out: list[PaymentPiece] = []
        for piece in pieces:
            where = (
                tuple(self._implied_dropped(each, at.where, holds) for each in piece.where)
                if len(pieces) > 1
                else ((),)  # one piece: the whole region
            )
            piece = Piece(((),) if () in where else where, piece.formula)
            sign = sign_of(piece.formula)
            if sign is None and not piece.formula.zero:
                value = term(piece.formula, figures)
                within = [*at.where, inside(piece, False)]
                if self._solve([*within, value < 0], closed=False).status == "unsat":
                    sign = 1
                elif self._solve([*within, value > 0], closed=False).status == "unsat":
                    sign = -1
            said = PaymentPiece(
                where_words(piece, at.currency),
                amount_words(piece.formula, sign, at.currency),
                piece.formula,
            )
            if len(pieces) == 1:  # the region's own witness shows it
                return [said]
            found = self._piece_witness(
                said,
                [inside(piece, True), inside(piece, False)],
                formula,
                at,
            )
            if isinstance(found, Difference):
                return found
            out.append(found)
        return out

    def _implied_dropped(
        self, where: Conjunction, region: list[Any], holds: Callable[[Formula, bool], Any]
    ) -> Conjunction:
        """`where` without each condition the region and the rest of it imply."""
        kept = list(where)
        for condition in where:
            rest = list(kept)
            rest.remove(condition)
            others = [holds(c, False) for c in rest]
            ask = [*region, *others, z3.Not(holds(condition, False))]
            if self._solve(ask, closed=False).status == "unsat":
                kept = rest
        return tuple(kept)

    def _piece_witness(
        self, piece: PaymentPiece, inside: list[Any], formula: Formula, at: Region
    ) -> PaymentPiece | Difference:
        """`piece` with a use inside it (well inside if one is) that the engine decides
        with both versions, paying exactly the piece's formula more (or less)."""
        visible = (
            []
            if piece.exact.zero
            else [z3.Or(at.change >= Decimal("0.01"), at.change <= Decimal("-0.01"))]
        )
        answer = None
        for where, extra in itertools.product(inside, (at.cents, [])):
            answer = self._solve(
                [*at.where, where, *visible, *extra],
                closed=True,
                simplest=True,
                peopled=at.peopled,
            )
            if answer.status == "sat":
                break
        if answer is None or answer.status != "sat":
            return piece  # no use without works (or with one) shows it: said without one
        use = self.space.witness(answer.model)
        records = None
        if at.peopled:
            use, records = self._peopled(use)
        expected = _fraction(answer.model.eval(at.change, model_completion=True))
        figures = _figures(use)
        said = piece.exact.value(figures)
        if said != expected or formula.value(figures) != expected:
            return Difference(
                "engine-disagrees",
                f"{at.what} {piece.where}: the piece's formula gives {said}, the whole "
                f"{formula.value(figures)}, the encoding {expected} (a bug of the analysis)",
                witness=use,
            )
        d_old, d_new = self._decide(use, records)
        if not (isinstance(d_old, Decision) and isinstance(d_new, Decision)):
            return self._not_confirmed(at.what, use, records, d_old, d_new, at.peopled)
        each = any(t.each for _, (_, t, _) in at.paid)
        to = WITNESS_ARTIST if each else at.payee
        old_rules = set(self.d_old.payee_rules.get(at.payee, []))
        new_rules = set(self.d_new.payee_rules.get(at.payee, []))
        paid = (_paid(d_old, to, old_rules), _paid(d_new, to, new_rules))
        tolerance = Decimal("0.01") * (1 + len(d_old.payments) + len(d_new.payments))
        if abs(Fraction(paid[1] - paid[0]) - expected) > tolerance:
            return self._not_confirmed(at.what, use, records, d_old, d_new, at.peopled)
        piece.witness, piece.records, piece.paid = use, records, paid
        return piece

    def _bound(
        self, where: list[Any], change: Any, *, maximize: bool
    ) -> Fraction | Literal["unknown"] | None:
        """The least or greatest difference over every use of the region, with the use's
        figures unbounded (None: no bound; "unknown": the solver could not tell in time)."""
        self.checks += 1
        status, value = extreme(
            self.space,
            self.atoms,
            where,
            change,
            maximize=maximize,
            closed=False,
            timeout_ms=self.timeout_ms,
            figures_bounded=False,
        )
        if status == "unknown":
            return "unknown"
        if status != "sat" or value is None:
            return None
        return _fraction(value)

    def _peopled(self, use: dict[str, Any]) -> tuple[dict[str, Any], Records]:
        """The witness with its work, artist and grant, and the records they need."""
        holder = holder_for(self.new.policy.checked, self.lic_new) or holder_for(
            self.old.policy.checked, self.lic_old
        )
        use = with_people(use)
        data = self.new.policy.policy_set.data
        return use, records_for(use, holder or self.lic_new, data)

    def _not_confirmed(
        self,
        what: str,
        use: dict[str, Any],
        records: Records | None,
        old: Decision | UseError,
        new: Decision | UseError,
        peopled: bool,
    ) -> Difference:
        if not peopled:
            return Difference(
                "engine-disagrees",
                f"{what}: the engine does not confirm the witness (a bug of the analysis)",
                witness=use,
            )
        # A witness with people rests on records the encoding does not read in detail:
        # the engine's answer is the reason it is not one.
        reasons = [
            r.message
            for d in (old, new)
            if isinstance(d, Decision)
            for r in d.reasons
            if r.effect in DENYING
        ] + [str(d) for d in (old, new) if isinstance(d, UseError)]
        return Difference(
            "unknown",
            f"{what}: not decided, a witness with one work, artist and grant is not "
            f"confirmed by the engine ({'; '.join(reasons) or 'other amounts'})",
            witness=use,
            records=records,
        )

    def _unknown(self, what: str, status: str) -> Difference:
        missing = unencoded_in(self.atoms, self._keys())
        why = (
            f"the solver gave no answer within {self.timeout_ms} ms"
            if status == "unknown"
            else "it needs works, artists or records the proof does not build"
            + (f" ({', '.join(missing)})" if missing else "")
        )
        return Difference("unknown", f"{what}: not decided, {why}")


def _licensed(outcome: Decision | UseError) -> bool | None:
    if isinstance(outcome, UseError):
        return None
    return outcome.decision != "deny"


def _denying_rules(outcome: Decision | UseError) -> set[str]:
    if not isinstance(outcome, Decision):
        return set()
    return {r.rule for r in outcome.reasons if r.effect in DENYING}


def _paid(outcome: Decision, payee: str, rules: set[str]) -> Decimal:
    """What `outcome` pays `payee` under `rules`."""
    return sum(
        (Decimal(p.amount) for p in outcome.payments if p.payee == payee and p.rule in rules),
        Decimal(0),
    )


def _fraction(value: Any) -> Fraction:
    if z3.is_int_value(value):
        return Fraction(value.as_long())
    return Fraction(value.as_fraction())


def _bound_words(bound: Fraction | str | None, side: str, currency: str) -> str:
    """A bound of a payment's change in words: an amount, unbounded, or not known."""
    if bound is None:
        return f"unbounded {side}"
    if isinstance(bound, str):
        least = "least" if side == "below" else "greatest"
        return f"a {least} amount not found (the analysis ran out of time)"
    return _money(bound, currency)


def _decimal(value: Fraction) -> Decimal:
    """A rational as a decimal: exact when it terminates, else to 10 places."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact if Fraction(exact) == value else round(exact, 10)


def _money(value: Fraction, currency: str) -> str:
    return f"{_decimal(value):+} {currency}"


def _figures(use: dict[str, Any]) -> dict[str, Fraction]:
    """The figures of a witness, as `formula.Formula.value` reads them."""
    metrics = use["metrics"]
    return {
        "revenue": Fraction(Decimal(metrics["revenue"]["amount"])),
        "generations": Fraction(metrics["generations"]),
        "streams": Fraction(metrics["streams"]),
        "works": Fraction(len(use["works"])),
        "artists": Fraction(len(set(use["artists"]) | set(use["attribution"]))),
    }


def _piece_words(piece: PaymentPiece) -> str:
    """ "5% of revenue less where …", "less, by …, where …"."""
    if not piece.where:
        return piece.formula
    joint = "," if ", by " in piece.formula else ""  # "less, by X, where …"
    return f"{piece.formula}{joint} {piece.where}"


def _payee_words(payee: str, paid: list[tuple[str, tuple[Any, PayTerm, str]]]) -> str:
    """Who is paid: a party, or `each artist in use.attribution` (together, and how split)."""
    terms = [t for _, (_, t, _) in paid]
    if not any(t.each for t in terms):
        return payee
    splits = {t.split for t in terms}
    how = (
        "together, split by attribution weight"
        if splits == {"weight"}
        else "together, split equally"
        if splits == {"share"}
        else "each of them"
        if splits == {None}
        else "together or each, as each clause says"
    )
    return f"{payee} ({how})"


def _brief(use: dict[str, Any]) -> str:
    parts = [use["purpose"], f"in {use['territory']}", f"on {use['date']}"]
    flags = [f for f, on in use["output"].items() if on]
    if flags:
        parts.append("output " + ", ".join(flags))
    if use["context"]:
        parts.append("context " + ", ".join(use["context"]))
    revenue = use["metrics"]["revenue"]
    if Decimal(revenue["amount"]):
        parts.append(f"revenue {revenue['amount']} {revenue['currency']}")
    if use["metrics"]["generations"]:
        count = use["metrics"]["generations"]
        parts.append(f"{count} generation{'' if count == 1 else 's'}")
    if use["facts"]:
        parts.append("facts " + ", ".join(f"{k}={v}" for k, v in use["facts"].items()))
    if use["works"]:
        parts.append(
            f"of work {', '.join(use['works'])} by {', '.join(use['artists'])} "
            "(with the witness's records)"
        )
    return " ".join(parts)


def prove(
    old: Sequence[str | Path],
    new: Sequence[str | Path],
    *,
    data: str | Path | None = None,
    licensees: tuple[str | None, str | None] = (None, None),
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Proof:
    """Prove `old` and `new` decide alike, or show how they differ (see the module)."""
    return Prover(load(old, data), load(new, data), licensees, timeout_ms).run()


def render(proof: Proof) -> str:
    """The proof for a reader."""
    if proof.equivalent:
        return "proved: the two versions decide the same for every use (with the same records)\n"
    lines = []
    for item in proof.differences:
        lines.append(f"- {item.kind}: {item.message}")
        for piece in item.pieces:
            shown = (
                f"e.g. {_brief(piece.witness)}: {piece.paid[0]} → {piece.paid[1]} {item.currency}"
                if piece.witness is not None and piece.paid is not None
                else "no use without works or artists (or with one of each) shows it"
            )
            lines.append(f"  - {piece.where}: {shown}")
            if piece.records is not None and piece.records != item.records:
                lines.append(f"    records: {json.dumps(piece.records)}")
        if item.records is not None:
            lines.append(f"  records: {json.dumps(item.records)}")
    return "\n".join(lines) + "\n"
