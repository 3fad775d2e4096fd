"""`clausula diff OLD NEW --prove`: a proof that two versions of terms decide alike, or,
for each kind of difference, a minimal witness use (re-decided by the engine with both
versions) and the region where it happens; for payments, the range of the difference.

Both versions are encoded over one symbolic use and share their atoms (the same consent
requirement, written alike, is one variable), with the same records (the data files given,
or none). The use's licensee is each side's own (as in the sample-based `diff`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import z3

from ..kinds import DENYING
from ..models import Decision
from ..use_input import UseError
from .encode import Atom
from .load import Loaded, encoder_for, load, space_for
from .procedure import decision
from .region import region
from .solver import DEFAULT_TIMEOUT_MS, extreme, solve, unencoded_in
from .space import Space

#: A payment difference beyond this many currency units is reported as growing without bound
#: (the symbolic use's figures are bounded only to keep the solver finite).
UNBOUNDED = Decimal(10**8)


@dataclass
class Difference:
    """One kind of difference: what changed, where, an example, and the clauses behind it."""

    kind: str  # now-denied | now-licensed | payment | unknown | engine-disagrees
    message: str
    region: str | None = None
    witness: dict[str, Any] | None = None
    rules: list[str] = field(default_factory=list)
    payee: str | None = None
    low: Decimal | None = None
    high: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        for name in ("region", "witness", "payee"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.rules:
            out["rules"] = self.rules
        if self.low is not None or self.high is not None:
            out["range"] = [None if v is None else str(v) for v in (self.low, self.high)]
        return out


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

    def _solve(self, formulas: Sequence[Any], *, closed: bool, simplest: bool = False) -> Any:
        self.checks += 1
        return solve(
            self.space,
            self.atoms,
            formulas,
            closed=closed,
            timeout_ms=self.timeout_ms,
            simplest=simplest,
        )

    def _decide(self, use: dict[str, Any]) -> tuple[Decision | UseError, Decision | UseError]:
        out: list[Decision | UseError] = []
        for loaded, licensee in ((self.old, self.lic_old), (self.new, self.lic_new)):
            try:
                out.append(loaded.policy.policy_set.decide({**use, "licensee": licensee}))
            except UseError as error:
                out.append(error)
        return out[0], out[1]

    def region(self, formulas: list[Any]) -> str:
        return region(
            self.space,
            self.atoms,
            formulas,
            self._count,
            self.timeout_ms,
        )

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
                found = self._payment(payee, on, purpose)
                if found is not None:
                    differences.append(found)
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
        old, new = self._decide(use)
        if not (_licensed(old) == expect[0] and _licensed(new) == expect[1]):
            return Difference(
                "engine-disagrees",
                f"{kind}: the engine does not confirm the witness (a bug of the analysis)",
                witness=use,
            )
        region = self.region(formulas)
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
        return Difference(kind, message, region, use, sorted(rules))

    def _payment(self, payee: str, on: Any, purpose: str) -> Difference | None:
        space = self.space
        zero = z3.RealVal(0)
        old = self.d_old.paid.get(payee, zero)
        new = self.d_new.paid.get(payee, zero)
        both = [on, self.d_old.licensed, self.d_new.licensed]
        change = new - old
        opened = self._solve([*both, change != 0], closed=False)
        if opened.status == "unsat":
            return None
        # A witness whose difference survives rounding to the cent.
        visible = z3.Or(change >= Decimal("0.01"), change <= Decimal("-0.01"))
        closed = self._solve([*both, visible], closed=True, simplest=True)
        if closed.status != "sat":
            return self._unknown(f"{purpose}: payment to {payee}", closed.status)
        use = self.space.witness(closed.model)
        d_old, d_new = self._decide(use)
        if not (isinstance(d_old, Decision) and isinstance(d_new, Decision)):
            return Difference(
                "engine-disagrees",
                f"payment to {payee}: the engine does not decide the witness",
                witness=use,
            )
        model_old = _number(closed.model.eval(old, model_completion=True))
        model_new = _number(closed.model.eval(new, model_completion=True))
        paid_old, paid_new = _paid(d_old, payee), _paid(d_new, payee)
        # The engine rounds once per currency; the model is exact.
        tolerance = Decimal("0.01") * (1 + len(d_old.payments) + len(d_new.payments))
        if payee.startswith("party:") and (
            abs(paid_old - model_old) > tolerance or abs(paid_new - model_new) > tolerance
        ):
            return Difference(
                "engine-disagrees",
                f"payment to {payee}: the engine pays {paid_old} → {paid_new}, the encoding {model_old} → {model_new} (a bug of the analysis)",
                witness=use,
            )
        lows = extreme(
            space,
            self.atoms,
            [*both],
            change,
            maximize=False,
            closed=False,
            timeout_ms=self.timeout_ms,
        )
        highs = extreme(
            space,
            self.atoms,
            [*both],
            change,
            maximize=True,
            closed=False,
            timeout_ms=self.timeout_ms,
        )
        low = None if lows[1] is None else _number(lows[1])
        high = None if highs[1] is None else _number(highs[1])
        low = None if low is not None and abs(low) >= UNBOUNDED else low
        high = None if high is not None and abs(high) >= UNBOUNDED else high
        currency = (
            self.d_new.currency.get(payee) or self.d_old.currency.get(payee) or space.currency
        )
        span = (
            f"from {'no lower bound' if low is None else f'{low:+} {currency}'} to "
            f"{'no upper bound' if high is None else f'{high:+} {currency}'}"
        )
        region = self.region([*both, change != 0])
        message = (
            f"{payee} is paid differently ({region}): new minus old ranges {span} per use; "
            f"e.g. {_brief(use)}: {paid_old} → {paid_new} {currency}"
        )
        return Difference("payment", message, region, use, payee=payee, low=low, high=high)

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


def _paid(outcome: Decision, payee: str) -> Decimal:
    return sum((Decimal(str(p.amount)) for p in outcome.payments if p.payee == payee), Decimal(0))


def _number(value: Any) -> Decimal:
    if z3.is_int_value(value):
        return Decimal(value.as_long())
    fraction = value.as_fraction()
    return (Decimal(fraction.numerator) / Decimal(fraction.denominator)).quantize(Decimal("0.0001"))


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
        parts.append(f"{use['metrics']['generations']} generations")
    if use["facts"]:
        parts.append("facts " + ", ".join(f"{k}={v}" for k, v in use["facts"].items()))
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
    return "\n".join(lines) + "\n"
