"""Compiled policy + records + use → decision, as the brief's "How a decision is reached" says.

1. Jurisdiction packs apply when in force on the use's date (proposed ones only when
   assumed) and their `applies when` holds; their effects always count.
2. Contracts of the use's licensee apply when the date is in their term, the territory in
   their territory, and the works and artists in their scope.
3. Clauses whose `when` holds and no `unless` holds contribute effects, unless a clause
   that applies sets them aside (`notwithstanding`).
4. Any deny or unmet consent → deny; a contract licenses the use only if it permits the
   purpose and its own requirements are met (opt-in: silence is no); payments → pay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from . import types as t
from .compiler import (
    CompiledBlock,
    CompiledEffect,
    CompiledPolicy,
    Context,
    EvaluationError,
    Missing,
    format_value,
)
from .consent import ConsentLedger, ConsentRecord
from .diagnostics import did_you_mean
from .models import Decision, Use
from .money import Money, split_rounded
from .territory import TerritorySet, code_problem
from .use_input import UseError, UseProblem

NO_SOURCE = "-"  # a reason that comes from the procedure itself, not from a clause


@dataclass(frozen=True)
class Records:
    """The facts the engine decides against: catalogue, consent ledger, policy version."""

    catalogue: Any
    ledger: ConsentLedger
    grant_territories: Mapping[str, TerritorySet]
    version: str
    assumed: frozenset[str] = frozenset()


@dataclass
class _PayLine:
    payee: str
    exact: Money
    rule: str
    source: str
    basis: str


@dataclass
class _Outcome:
    """What one block contributed to a decision."""

    reasons: list[dict[str, Any]] = field(default_factory=list)
    obligations: list[dict[str, Any]] = field(default_factory=list)
    lines: list[_PayLine] = field(default_factory=list)
    permitted: bool = False
    blocked: bool = False


# ----------------------------------------------------------------- the use against the vocabulary


def _facts(use: Use, policy: CompiledPolicy) -> dict[str, Any]:
    vocabulary = policy.vocabulary
    if (
        not use.facts
        and use.purpose in vocabulary.purposes
        and vocabulary.contexts.issuperset(use.context)
        and code_problem(use.territory) is None
    ):
        return {}  # the common case: nothing to report, no facts to convert
    problems: list[UseProblem] = []
    if use.purpose not in vocabulary.purposes:
        hint = did_you_mean(use.purpose, vocabulary.purposes)
        problems.append(
            UseProblem(
                "/purpose",
                f"`{use.purpose}` is not a declared purpose" + (f"; {hint}" if hint else ""),
            )
        )
    for index, item in enumerate(use.context):
        if item not in vocabulary.contexts:
            hint = did_you_mean(item, vocabulary.contexts)
            problems.append(
                UseProblem(
                    f"/context/{index}",
                    f"`{item}` is not a declared context" + (f"; {hint}" if hint else ""),
                )
            )
    problem = code_problem(use.territory)
    if problem:
        problems.append(
            UseProblem("/territory", problem + "; a use happens in one country or subdivision")
        )
    facts: dict[str, Any] = {}
    for name, value in use.facts.items():
        declared = vocabulary.facts.get(name)
        if declared is None:
            hint = did_you_mean(name, vocabulary.facts)
            problems.append(
                UseProblem(
                    f"/facts/{name}",
                    f"no policy declares the fact `{name}`" + (f"; {hint}" if hint else ""),
                )
            )
            continue
        converted = _convert_fact(value, declared)
        if converted is None:
            problems.append(UseProblem(f"/facts/{name}", f"the fact `{name}` must be {declared}"))
        else:
            facts[name] = converted
    if problems:
        raise UseError(problems, use.id)
    return facts


def _convert_fact(value: Any, declared: t.Type) -> Any:
    kind = declared.kind
    try:
        if kind == "boolean":
            return value if isinstance(value, bool) else None
        if kind == "date":
            if isinstance(value, dt.date):
                return value
            return dt.date.fromisoformat(value) if isinstance(value, str) else None
        if kind == "count":
            return (
                value
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0
                else None
            )
        if kind in ("number", "percentage"):
            if isinstance(value, bool):
                return None
            number = Decimal(str(value)) if isinstance(value, int | str | Decimal) else None
            return number / 100 if number is not None and kind == "percentage" else number
        if kind == "money":
            amount, currency = str(value).split()
            return Money(Decimal(amount), currency)
        if kind == "territory":
            return value if isinstance(value, str) and code_problem(value) is None else None
        return value if isinstance(value, str) else None
    except (ValueError, InvalidOperation):
        return None


# ----------------------------------------------------------------- consent


_FAILURES = (  # how close a grant came, best first, for the message of a missing consent
    "formalities",
    "revoked",
    "term",
    "territory",
    "purpose",
    "licensee",
)


def _find_consent(
    ctx: Context, records: Records, artist: str, purpose: str, effect: CompiledEffect
) -> tuple[ConsentRecord | None, str]:
    best: tuple[int, str] | None = None
    for record in records.ledger.records_for(artist):
        grant = record.grant
        failure: tuple[int, str] | None = None
        if grant.grantee not in ("any", ctx.licensee):
            failure = (5, f"grant {grant.id} is to {grant.grantee}, not {ctx.licensee}")
        elif purpose not in grant.purposes and "any" not in grant.purposes:
            failure = (4, f"grant {grant.id} covers {', '.join(grant.purposes)}, not {purpose}")
        elif not records.grant_territories[grant.id].contains(ctx.territory):
            failure = (
                3,
                f"grant {grant.id} covers {records.grant_territories[grant.id]}, not {ctx.territory}",
            )
        elif record.revoked_on is not None and ctx.date >= record.revoked_on:
            failure = (1, f"grant {grant.id} was revoked on {record.revoked_on}")
        elif not record.active_on(ctx.date):
            until = f" until {grant.valid_until}" if grant.valid_until else ""
            failure = (
                2,
                f"grant {grant.id} runs from {grant.valid_from}{until}, not on {ctx.date}",
            )
        elif effect.formalities and not any(
            group <= grant.formalities for group in effect.formalities
        ):
            failure = (
                0,
                f"grant {grant.id} lacks {_formalities_wanted(effect.formalities, grant.formalities)}",
            )
        if failure is None:
            return record, f"grant {grant.id} of {artist} for {purpose} in {ctx.territory}"
        if best is None or failure[0] < best[0]:
            best = failure
    if best is None:
        return None, f"no consent of {artist} is recorded"
    return None, best[1]


def _formalities_wanted(wanted: tuple[frozenset[str], ...], has: frozenset[str]) -> str:
    options = [" and ".join(sorted(group - has)).replace("_", " ") for group in wanted]
    return " or ".join(options)


def _subjects(ctx: Context, effect: CompiledEffect) -> tuple[list[str], list[str]]:
    """The artists a requirement or payment is about, and works whose performers are unknown."""
    subject = effect.subject
    assert subject is not None
    if subject.kind == "party":
        return [subject.party or ""], []
    if subject.kind == "each_performer":
        artists: dict[str, None] = {}
        unknown = []
        for work in ctx.works:
            performers = ctx.catalogue.performers_of(work)
            if not performers:
                unknown.append(work)
            for artist in performers:
                artists[artist] = None
        return list(artists), unknown
    if subject.over_attribution:
        return list(ctx.attribution), []
    return list(dict.fromkeys(ctx.artists)), []


# ----------------------------------------------------------------- running one block


def _holds(condition: Any, ctx: Context, rule: str) -> bool:
    """Whether a condition holds; one that reads a fact the use does not give does not."""
    try:
        return bool(condition(ctx))
    except Missing:
        return False
    except EvaluationError as error:
        raise UseError([UseProblem("", f"{rule}: {error}")], ctx.use.id) from None


def _run_block(block: CompiledBlock, ctx: Context, records: Records) -> _Outcome:
    out = _Outcome()
    provisions = block.provisions
    active = [False] * len(provisions)
    for index, provision in enumerate(provisions):
        label = provision.label
        holds = True
        for condition in provision.when:
            if not _holds(condition, ctx, label):
                holds = False
                break
        if holds:
            for condition, text in provision.unless:
                if _holds(condition, ctx, label):
                    out.reasons.append(
                        dict(
                            effect="exception",
                            rule=label,
                            citation=provision.citation,
                            message=f"{_titled(provision.title)}does not apply: unless {text}",
                            source=provision.source,
                        )
                    )
                    holds = False
                    break
        active[index] = holds
    aside = [False] * len(provisions)
    for index in block.order:
        if not active[index] or aside[index]:
            continue
        for target in provisions[index].sets_aside:
            if active[target] and not aside[target]:
                aside[target] = True
                setter = provisions[index]
                out.reasons.append(
                    dict(
                        effect="set-aside",
                        rule=provisions[target].label,
                        citation=setter.citation,
                        message=f"set aside by {setter.label} (notwithstanding {provisions[target].label})",
                        source=setter.source,
                    )
                )
    for index, provision in enumerate(provisions):
        if active[index] and not aside[index]:
            for effect in provision.effects:
                _apply(effect, provision, ctx, records, out)
    return out


def _titled(title: str | None) -> str:
    return f"{title}: " if title else ""


def _apply(
    effect: CompiledEffect, provision: Any, ctx: Context, records: Records, out: _Outcome
) -> None:
    label, cite = provision.label, provision.citation
    kind = effect.kind
    if kind == "permit":
        if ctx.purpose in effect.purposes:
            out.permitted = True
            out.reasons.append(
                dict(
                    effect="permit",
                    rule=label,
                    citation=cite,
                    source=effect.source,
                    message=f"{_titled(provision.title)}permits {ctx.purpose}",
                )
            )
    elif kind == "deny":
        out.blocked = True
        out.reasons.append(
            dict(
                effect="deny",
                rule=label,
                citation=cite,
                source=effect.source,
                message=effect.message or provision.title or "denied",
            )
        )
    elif kind == "oblige":
        text = effect.message or ""
        out.obligations.append(dict(rule=label, text=text, citation=cite, source=effect.source))
        out.reasons.append(
            dict(effect="oblige", rule=label, citation=cite, source=effect.source, message=text)
        )
    elif kind == "consent":
        _consent(effect, provision, ctx, records, out)
    elif kind == "pay":
        _pay(effect, provision, ctx, out)
    elif kind == "pay_nothing":
        out.reasons.append(
            dict(
                effect="no-payment",
                rule=label,
                citation=cite,
                source=effect.source,
                message=f"{_titled(provision.title)}no payment is due",
            )
        )


def _consent(
    effect: CompiledEffect, provision: Any, ctx: Context, records: Records, out: _Outcome
) -> None:
    artists, unknown = _subjects(ctx, effect)
    purposes = effect.consent_purposes or (ctx.purpose,)
    for work in unknown:
        out.blocked = True
        out.reasons.append(
            dict(
                effect="consent-missing",
                rule=provision.label,
                citation=provision.citation,
                source=effect.source,
                message=f"{work} is not in the catalogue, so the consent of its performers cannot be checked",
            )
        )
    for artist in artists:
        for purpose in purposes:
            record, message = _find_consent(ctx, records, artist, purpose, effect)
            if record is None:
                out.blocked = True
                out.reasons.append(
                    dict(
                        effect="consent-missing",
                        rule=provision.label,
                        citation=provision.citation,
                        source=effect.source,
                        message=f"no valid consent of {artist} for {purpose} in {ctx.territory}: {message}",
                    )
                )
            else:
                out.reasons.append(
                    dict(
                        effect="consent-met",
                        rule=provision.label,
                        citation=provision.citation,
                        source=effect.source,
                        message=message,
                    )
                )


def _pay(effect: CompiledEffect, provision: Any, ctx: Context, out: _Outcome) -> None:
    assert effect.amount is not None and effect.basis is not None and effect.subject is not None
    payees, _ = _subjects(ctx, effect)
    share = Decimal(1) / len(payees) if payees else None
    try:
        for payee in payees:
            ctx.share = share
            ctx.weight = ctx.attribution.get(payee) if effect.subject.over_attribution else None
            amount = effect.amount(ctx)
            if not isinstance(amount, Money) or amount.amount == 0:
                continue
            if amount.amount < 0:
                raise EvaluationError(
                    f"the amount for {payee} is negative ({format_value(amount)})"
                )
            out.lines.append(
                _PayLine(payee, amount, provision.label, effect.source, effect.basis(ctx))
            )
    except Missing as missing:
        raise UseError(
            [
                UseProblem(
                    f"/{missing.what.removeprefix('use.').replace('.', '/')}",
                    f"{provision.label} needs this to compute a payment",
                )
            ],
            ctx.use.id,
        ) from None
    except EvaluationError as error:
        raise UseError(
            [UseProblem("/metrics/revenue", f"{provision.label}: {error}")], ctx.use.id
        ) from None
    finally:
        ctx.share = ctx.weight = None


# ----------------------------------------------------------------- contracts


def _contract_miss(contract: CompiledBlock, ctx: Context) -> str | None:
    """Why a contract of the licensee does not apply to this use, or None if it does."""
    if contract.start and ctx.date < contract.start:
        return f"its term starts on {contract.start}"
    if contract.end and ctx.date > contract.end:
        return f"its term ended on {contract.end}"
    if contract.territory is not None and not contract.territory.contains(ctx.territory):
        return f"{ctx.territory} is outside its territory ({contract.territory})"
    if contract.scope_works is not None:
        outside = [w for w in ctx.works if w not in contract.scope_works]
        if outside:
            return f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} outside {contract.scope_label}"
    if contract.scope_artists is not None:
        people = list(dict.fromkeys([*ctx.artists, *ctx.attribution]))
        outside = [a for a in people if a not in contract.scope_artists]
        if outside:
            return f"{', '.join(outside)} {'performs' if len(outside) == 1 else 'perform'} on no work of {contract.scope_label}"
    for condition in contract.applies:
        if not _holds(condition, ctx, contract.name):
            return "its `applies when` condition does not hold"
    return None


def _jurisdiction_applies(block: CompiledBlock, ctx: Context, assumed: frozenset[str]) -> bool:
    if block.proposed and block.name not in assumed:
        return False
    if block.start and ctx.date < block.start:
        return False
    if block.end and ctx.date > block.end:
        return False
    return all(_holds(condition, ctx, block.name) for condition in block.applies)


# ----------------------------------------------------------------- the decision


def decide(policy: CompiledPolicy, records: Records, use: Use) -> Decision:
    """Decide one validated use."""
    ctx = Context(use, records.catalogue, _facts(use, policy))
    reasons: list[dict[str, Any]] = []
    obligations: list[dict[str, Any]] = []
    lines: list[_PayLine] = []
    blocked = False
    jurisdictions: list[str] = []
    for block in policy.jurisdictions:
        if not _jurisdiction_applies(block, ctx, records.assumed):
            continue
        jurisdictions.append(block.name)
        outcome = _run_block(block, ctx, records)
        reasons += outcome.reasons
        obligations += outcome.obligations
        lines += outcome.lines
        blocked = blocked or outcome.blocked

    applicable: list[CompiledBlock] = []
    for contract in policy.contracts_by_licensee.get(use.licensee, ()):
        miss = _contract_miss(contract, ctx)
        if miss is None:
            applicable.append(contract)
        else:
            reasons.append(
                dict(
                    effect="no-licence",
                    rule=contract.name,
                    source=contract.source,
                    message=f"contract {contract.name} does not apply: {miss}",
                )
            )
    chosen: tuple[CompiledBlock, _Outcome] | None = None
    outcomes = [(c, _run_block(c, ctx, records)) for c in applicable]
    for contract, outcome in outcomes:
        if outcome.permitted and not outcome.blocked:
            chosen = (contract, outcome)
            break
    if chosen is not None:
        reasons += chosen[1].reasons
        obligations += chosen[1].obligations
        lines += chosen[1].lines
        contracts = [chosen[0].name]
    else:
        for contract, outcome in outcomes:
            reasons += outcome.reasons
            if not outcome.permitted:
                reasons.append(
                    dict(
                        effect="no-licence",
                        rule=contract.name,
                        source=contract.source,
                        message=f"contract {contract.name} does not permit {use.purpose}",
                    )
                )
        if not policy.contracts_by_licensee.get(use.licensee):
            reasons.append(
                dict(
                    effect="no-licence",
                    rule="opt-in",
                    source=NO_SOURCE,
                    message=f"no contract licenses {use.licensee}: without a licence, no use",
                )
            )
        contracts = [c.name for c in applicable]

    info = dict(
        version=records.version,
        contracts=contracts,
        jurisdictions=jurisdictions,
        assumed=sorted(records.assumed),
    )
    if blocked or chosen is None:
        # One validation of the whole answer is far cheaper than one per reason.
        return Decision.model_validate(
            {
                "id": use.id,
                "decision": "deny",
                "payments": [],
                "totals": [],
                "obligations": [],
                "reasons": reasons,
                "policy": info,
            }
        )
    payments, totals = _round(lines)
    outcome_name = "pay" if any(total["amount"] > 0 for total in totals) else "allow"
    return Decision.model_validate(
        {
            "id": use.id,
            "decision": outcome_name,
            "payments": payments,
            "totals": totals,
            "obligations": obligations,
            "reasons": reasons,
            "policy": info,
        }
    )


def _round(lines: list[_PayLine]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Round once per currency; parts add up to the rounded total (largest remainder)."""
    by_currency: dict[str, list[_PayLine]] = {}
    for line in lines:
        by_currency.setdefault(line.exact.currency, []).append(line)
    payments: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    for currency, group in by_currency.items():
        total, parts = split_rounded([line.exact.amount for line in group], currency)
        totals.append(dict(amount=total, currency=currency))
        for line, part in zip(group, parts, strict=True):
            payments.append(
                dict(
                    payee=line.payee,
                    amount=part,
                    currency=currency,
                    rule=line.rule,
                    source=line.source,
                    basis=f"{line.basis} = {line.exact.amount} {currency}",
                )
            )
    return payments, totals
