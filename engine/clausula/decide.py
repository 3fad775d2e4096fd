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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final, assert_never

from . import consenters
from . import types as t
from .compiled import CompiledBlock, CompiledEffect, CompiledPolicy, CompiledProvision
from .consent import ConsentLedger, ConsentRecord, DatedConsentLedger
from .consent_records import FileConsentLedger
from .context import Context, EvaluationError, Missing, artists_touched
from .dates import age_on
from .durations import advance
from .kinds import DENYING
from .limits import number_problem
from .models import MoneyAmount, Obligation, PolicyInfo, Reason, Use
from .money import Money
from .plain_use import PlainRequest
from .plans import Payable, Plan, new_payable, new_plan, obligation
from .plans import reason as _reason
from .territory import TerritorySet, code_problem
from .trusted_models import trusted
from .unknown_ids import unknown_id_reasons
from .use_input import UseError, UseProblem
from .use_vocabulary import context_problem, fact_problem, purpose_problem, territory_problem

NO_SOURCE: Final = None  # a reason that comes from the procedure itself, not from a clause


@dataclass(frozen=True)
class Records:
    """The facts the engine decides against: catalogue, consent ledger, policy version."""

    catalogue: Any
    ledger: ConsentLedger
    grant_territories: Mapping[str, TerritorySet]
    version: str
    # Proposed laws assumed in force, with an assumed enactment date or None.
    assumed: Mapping[str, dt.date | None] = field(default_factory=dict)
    # The `PolicyInfo` of each list of contracts and packs that applied (frozen: shared by
    # the decisions that name the same ones; bounded by `_MAX_POLICY_INFOS`).
    policy_infos: dict[tuple[tuple[str, ...], tuple[str, ...]], PolicyInfo] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    # The nearest known id of each unknown artist or work seen (`unknown_id_reasons`; the
    # catalogue is frozen, so an answer holds for good).
    nearest_ids: dict[tuple[str, str], str | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    # A ledger that answers as of a day (the use's date); None: ask `ledger` as is.
    dated_ledger: DatedConsentLedger | None = None
    # The territory set of a grant not in `grant_territories` (grants from a ledger).
    territories_of: Callable[[Any], TerritorySet] | None = None

    def territories(self, grant: Any) -> TerritorySet:
        """Where a grant applies."""
        if self.territories_of is not None:
            return self.territories_of(grant)
        return self.grant_territories[grant.id]


class _Outcome:
    """What one block contributed to a decision."""

    __slots__ = (
        "blocked",
        "consented",
        "licences",
        "obligations",
        "pays",
        "permitted",
        "reasons",
        "risks",
    )

    def __init__(self) -> None:
        self.reasons: list[Reason] = []
        self.obligations: list[Obligation] = []
        # Payments that apply, computed only once the use is known to be licensed: a
        # denied use owes nothing, and needs no figures to compute it.
        self.pays: list[tuple[CompiledEffect, CompiledProvision]] = []
        self.permitted = False
        self.blocked = False
        # Damages or fines a law states: shown on a deny, never a payment.
        self.risks: list[Reason] = []
        # Works a law says need a licence from their rights holder (checked against the contract).
        self.licences: list[tuple[str, Any, CompiledEffect]] = []
        # Artists whose consent a requirement of this block asked for and found.
        self.consented: set[str] = set()


# ----------------------------------------------------------------- the use against the vocabulary


def use_facts(use: Use, policy: CompiledPolicy) -> dict[str, Any]:
    """The use's facts converted to their declared types; a `UseError` for a purpose,
    context, territory or fact the policy set does not know."""
    vocabulary = policy.vocabulary
    fields = use.__dict__  # not the model's attributes: each goes through its `__getattr__` hook
    context = fields["context"]
    if (
        not fields["facts"]
        and fields["purpose"] in vocabulary.purposes
        and (not context or vocabulary.contexts.issuperset(context))
        and code_problem(fields["territory"]) is None
    ):
        return {}  # the common case: nothing to report, no facts to convert
    problems: list[UseProblem] = []
    problem = purpose_problem(use.purpose, vocabulary.purposes)
    if problem:
        problems.append(UseProblem("/purpose", problem))
    for index, item in enumerate(use.context):
        problem = context_problem(item, vocabulary.contexts)
        if problem:
            problems.append(UseProblem(f"/context/{index}", problem))
    problem = territory_problem(use.territory)
    if problem:
        problems.append(UseProblem("/territory", problem))
    facts: dict[str, Any] = {}
    for name, value in use.facts.items():
        declared = vocabulary.facts.get(name)
        if declared is None:
            problems.append(
                UseProblem(f"/facts/{name}", fact_problem(name, vocabulary.facts) or "")
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
            if number is None or number_problem(number):  # NaN, 1e30: beyond the limits
                return None
            return number / 100 if kind == "percentage" else number
        if kind == "money":  # "100.00 USD", checked as the use's own money is
            amount, currency = str(value).split()
            money = MoneyAmount.model_validate({"amount": amount, "currency": currency})
            return Money(money.amount, money.currency)
        if kind == "territory":
            return value if isinstance(value, str) and code_problem(value) is None else None
        return value if isinstance(value, str) else None
    except (ValueError, InvalidOperation):
        return None


# ----------------------------------------------------------------- consent


def grant_problem(
    ctx: Context,
    records: Records,
    record: ConsentRecord,
    artist: str,
    purpose: str,
    effect: CompiledEffect,
    *,
    anywhere: bool = False,
) -> tuple[int, str] | None:
    """Why a grant does not give `artist`'s consent that the requirement `effect` asks for
    the use in `ctx`, with how close it came (0 is closest), or None when it does.

    `anywhere`: leave the use's territory out (whether the grant gives the consent
    somewhere: the licences report, which then says where)."""
    grant = record.grant
    # Its fields read from the model's `__dict__` (an attribute of a pydantic model goes
    # through its `__getattr__` hook): this runs for every grant of every artist asked.
    terms: dict[str, Any] = grant.__dict__
    grantee, purposes = terms["grantee"], terms["purposes"]
    if grantee not in ("any", ctx.licensee):
        return (7, f"grant {terms['id']} is to {grantee}, not {ctx.licensee}")
    if purpose not in purposes and "any" not in purposes:
        return (6, f"grant {terms['id']} covers {', '.join(purposes)}, not {purpose}")
    covered = records.territories(grant)
    if not anywhere and not covered.contains(ctx.territory):
        return (5, f"grant {terms['id']} covers {covered}, not {ctx.territory}")
    if record.revoked_on is not None and ctx.date >= record.revoked_on:
        return (2, f"grant {terms['id']} was revoked on {record.revoked_on}")
    if not record.active_on(ctx.date):
        valid_until = terms["valid_until"]
        until = f" until {_day_text(valid_until)}" if valid_until else ""
        return (
            3,
            f"grant {terms['id']} runs from {_day_text(terms['valid_from'])}{until}, "
            f"not on {_day_text(ctx.date)}",
        )
    person = ctx.catalogue.party(artist)
    start = grant.signed_on or grant.valid_from
    who = _who_may_consent(ctx, grant, person, start, effect.consenters)
    if who:
        return (1, who)
    if effect.void and effect.made_from is not None and start < effect.made_from:
        return None  # made before the statute: it voids nothing here
    if effect.exempt and any(group <= grant.formalities for group in effect.exempt):
        return None  # e.g. under a collective bargaining agreement: no cap, no minor terms
    if effect.cap is not None:
        end = advance(start, effect.cap)
        if ctx.date >= end:
            return (3, f"grant {grant.id} counts only for {effect.cap} from {start}, until {end}")
    wanted = effect.formalities
    if (
        effect.minors is not None
        and person is not None
        and person.birth_date is not None
        and age_on(person.birth_date, start) < 18
    ):
        minor_formalities, minor_cap = effect.minors
        adult = coming_of_age(person.birth_date)
        if ctx.date >= adult:
            return (
                3,
                f"grant {grant.id} was given while {artist} was a minor and ended at 18, on {adult}",
            )
        if minor_cap is not None and ctx.date >= advance(start, minor_cap):
            return (3, f"grant {grant.id} was given for a minor and counts only for {minor_cap}")
        wanted = tuple(
            a | b for a in (wanted or (frozenset(),)) for b in (minor_formalities or (frozenset(),))
        )
    if wanted and not any(group <= grant.formalities for group in wanted):
        options = (*wanted, *effect.exempt)
        return (0, f"grant {grant.id} lacks {_formalities_wanted(options, grant.formalities)}")
    return None


_DAY_TEXTS: Final[dict[dt.date, str]] = {}
_MAX_DAY_TEXTS: Final = 8192


def _day_text(day: dt.date) -> str:
    """`str(day)`, remembered: formatting a date costs more than the rest of the message,
    and a use's day and its grants' days recur (at most `_MAX_DAY_TEXTS`; full, forgotten)."""
    text = _DAY_TEXTS.get(day)
    if text is None:
        if len(_DAY_TEXTS) >= _MAX_DAY_TEXTS:
            _DAY_TEXTS.clear()
        text = _DAY_TEXTS[day] = day.isoformat()
    return text


def coming_of_age(birth: dt.date) -> dt.date:
    """The 18th birthday (28 February for someone born on 29 February)."""
    if birth.month == 2 and birth.day == 29:
        return dt.date(birth.year + 18, 2, 28)
    return birth.replace(year=birth.year + 18)


def _who_may_consent(
    ctx: Context, grant: Any, person: Any, start: dt.date, allowed: frozenset[str] | None
) -> str | None:
    """Whether the grantor may give this consent: by default the artist (also while a
    minor), their guardian while a minor, their estate after death only; a rule's
    `given by …` names who may (`consenters`)."""
    kinds = consenters.DEFAULT if allowed is None else allowed
    if person is None or grant.grantor == person.id:
        if person is not None and person.death_date is not None and start > person.death_date:
            return f"grant {grant.id} is dated after the artist's death on {person.death_date}"
        if person is None or consenters.PERSON_EVEN_MINOR in kinds:
            return None
        if consenters.PERSON not in kinds:
            return (
                f"grant {grant.id} was given by {person.id} themselves; this consent must be "
                f"given by the {consenters.describe(kinds).removeprefix('the ')}"
            )
        if person.birth_date is not None and age_on(person.birth_date, start) < 18:
            by = "a parent or guardian" if consenters.GUARDIAN in kinds else "someone else"
            return (
                f"grant {grant.id} was signed by {person.id} as a minor, on {start}; "
                f"a minor's consent must be given by {by}"
            )
        return None
    grantor = ctx.catalogue.party(grant.grantor)
    if grantor is not None and grantor.estate_of == person.id and consenters.ESTATE in kinds:
        if person.death_date is None or start < person.death_date:
            return (
                f"grant {grant.id} was given by the estate {grantor.id} while the artist was alive"
            )
        return None
    if grantor is not None and person.id in grantor.guardian_of and consenters.GUARDIAN in kinds:
        if person.birth_date is None:
            return (
                f"grant {grant.id} was given by a guardian, but the artist's birth date is "
                "not in the data, so it cannot be told whether they were a minor"
            )
        if age_on(person.birth_date, start) >= 18:
            return f"grant {grant.id} was given by a guardian after the artist came of age"
        return None
    if (
        grantor is not None
        and person.id in grantor.bargaining_representative_of
        and consenters.BARGAINING_REPRESENTATIVE in kinds
    ):
        return None
    if (
        grantor is not None
        and person.id in grantor.may_authorise_for
        and consenters.AUTHORISED_LICENSEE in kinds
    ):
        return None
    return f"grant {grant.id} was given by {grant.grantor}, who may not consent for {person.id}"


# How close a grant came when it lacks only formalities: for a `void consent` rule, the
# grant the use relies on, which the statute makes void.
_LACKS_FORMALITIES: Final = 0


def _closest_consent(
    ctx: Context, records: Records, artist: str, purpose: str, effect: CompiledEffect
) -> tuple[ConsentRecord | None, str, int | None]:
    """The first grant that gives this consent, else why the closest one does not, and
    how close it came (None: no grant is recorded)."""
    best: tuple[int, str] | None = None
    dated, ledger = records.dated_ledger, records.ledger
    if dated is not None:
        found = dated.records_on(artist, ctx.date)
    elif type(ledger) is FileConsentLedger:
        # The same call as below, on the data files' ledger: narrowed to its compiled
        # class, it is a direct C call instead of a method lookup through the protocol.
        found = ledger.records_for(artist)
    else:
        found = ledger.records_for(artist)
    for record in found:
        failure = grant_problem(ctx, records, record, artist, purpose, effect)
        if failure is None:
            grant = record.grant
            return record, f"grant {grant.id} of {artist} for {purpose} in {ctx.territory}", None
        if best is None or failure[0] < best[0]:
            best = failure
    if best is None:
        return None, "none is recorded", None
    return None, best[1], best[0]


def _formalities_wanted(wanted: tuple[frozenset[str], ...], has: frozenset[str]) -> str:
    options = [" and ".join(sorted(group - has)).replace("_", " ") for group in wanted]
    return " or ".join(options)


def subjects(ctx: Context, effect: CompiledEffect) -> tuple[list[str], list[str]]:
    """Who (or which works) a requirement or payment is about, after its `where`, and the
    works whose performers are unknown."""
    subject = effect.subject
    assert subject is not None
    unknown: list[str] = []
    if subject.kind == "party":
        return [subject.party or ""], []
    if subject.kind == "each_work":
        return _where(
            list(dict.fromkeys(ctx.works)), subject.where, ctx, "work_id", unknown_keeps=True
        ), []
    if subject.kind == "each_performer":
        artists: dict[str, None] = {}
        for work in ctx.works:
            performers = ctx.catalogue.performers_of(work)
            if not performers:
                unknown.append(work)
            for artist in performers:
                artists[artist] = None
        chosen = list(artists)
    elif subject.touched:
        chosen, unknown = artists_touched(ctx)
    elif subject.over_attribution:
        chosen = list(ctx.attribution)
    elif len(ctx.artists) < 2:  # most uses name one artist: nobody twice
        chosen = list(ctx.artists)
    else:
        chosen = list(dict.fromkeys(ctx.artists))
    if subject.where is None:  # the common case: no `where`, everyone in hand
        return chosen, unknown
    keeps = effect.kind != "pay"
    return _where(chosen, subject.where, ctx, "artist_id", unknown_keeps=keeps), unknown


def _where(
    items: list[str], where: Any, ctx: Context, slot: str, *, unknown_keeps: bool
) -> list[str]:
    """Those for whom `where` holds. When the one in hand is not in the data files at all,
    a requirement keeps them (the artist stays protected) and a payment leaves them out; a
    field the data leaves empty makes the condition unknown, which counts as false."""
    if where is None:
        return items
    kept = []
    try:
        for item in items:
            setattr(ctx, slot, item)
            try:
                holds = bool(where(ctx))
            except Missing as missing:
                holds = unknown_keeps and missing.unknown_entity
            except EvaluationError as error:
                raise UseError([UseProblem("", f"where: {error}")], ctx.use_id) from None
            if holds:
                kept.append(item)
    finally:
        setattr(ctx, slot, None)
    return kept


# ----------------------------------------------------------------- running one block


def condition_holds(condition: Any, ctx: Context, rule: str) -> bool:
    """Whether a condition holds; one that reads a fact the use does not give does not."""
    try:
        return bool(condition(ctx))
    except Missing:
        return False
    except EvaluationError as error:
        raise UseError([UseProblem("", f"{rule}: {error}")], ctx.use_id) from None


def _run_block(block: CompiledBlock, ctx: Context, records: Records) -> _Outcome:
    out = _Outcome()
    provisions = block.provisions
    holding: list[int] = []  # provisions whose `when` holds and no `unless`, in text order
    for index, settled in block.candidates(ctx.purpose, ctx.territory):
        provision = provisions[index]
        when = provision.when  # at most one condition: all `when` lines as one
        if when and not settled and not condition_holds(when[0], ctx, provision.label):
            continue
        for condition, text in provision.unless:
            if condition_holds(condition, ctx, provision.label):
                out.reasons.append(
                    _reason(
                        "exception",
                        provision.label,
                        f"{_titled(provision.title)}does not apply: unless {text}",
                        provision.source,
                        citation=provision.citation,
                    )
                )
                break
        else:
            holding.append(index)
    if block.overrides and len(holding) > 1:
        aside = _set_aside(block, frozenset(holding), out)
        if aside:
            holding = [index for index in holding if index not in aside]
    for index in holding:
        provision = provisions[index]
        for effect in provision.effects:
            _apply(effect, provision, ctx, records, out)
    return out


def _set_aside(block: CompiledBlock, active: frozenset[int], out: _Outcome) -> set[int]:
    """The provisions that a `notwithstanding` of an active provision sets aside."""
    provisions = block.provisions
    aside: set[int] = set()
    for index in block.order:
        if index not in active or index in aside:
            continue
        setter = provisions[index]
        for target in setter.sets_aside:
            if target in active and target not in aside:
                aside.add(target)
                out.reasons.append(
                    _reason(
                        "set-aside",
                        provisions[target].label,
                        f"set aside by {setter.label} (notwithstanding {provisions[target].label})",
                        setter.source,
                        citation=setter.citation,
                    )
                )
    return aside


def _titled(title: str | None) -> str:
    return f"{title}: " if title else ""


def _apply(
    effect: CompiledEffect,
    provision: CompiledProvision,
    ctx: Context,
    records: Records,
    out: _Outcome,
) -> None:
    label, cite = provision.label, provision.citation
    kind = effect.kind
    match kind:
        case "permit":
            if ctx.purpose in effect.purposes:
                out.permitted = True
                key = (effect.source, ctx.purpose)
                reason = provision.said.get(key)
                if reason is None:  # bounded: one per permit effect and purpose it names
                    reason = provision.said[key] = _reason(
                        "permit",
                        label,
                        f"{_titled(provision.title)}permits {ctx.purpose}",
                        effect.source,
                        citation=cite,
                    )
                out.reasons.append(reason)
        # the commonest kinds first: a match tries its cases in order
        case "consent":
            _consent(effect, provision, ctx, records, out)
        case "pay":
            out.pays.append((effect, provision))
        case "deny":
            out.blocked = True
            out.reasons.append(
                _reason(
                    "deny",
                    label,
                    effect.message or provision.title or "denied",
                    effect.source,
                    citation=cite,
                )
            )
        case "oblige":
            text = effect.message or ""
            if effect.met is not None and condition_holds(effect.met, ctx, label):
                out.reasons.append(
                    _reason(
                        "obligation-met",
                        label,
                        f"already done: {text}",
                        effect.source,
                        citation=cite,
                    )
                )
            else:
                out.obligations.append(obligation(label, text, cite, effect.source))
                out.reasons.append(_reason("oblige", label, text, effect.source, citation=cite))
        case "risk":
            out.risks.append(
                _reason("risk", label, effect.message or "", effect.source, citation=cite)
            )
        case "licence":
            works, _ = subjects(ctx, effect)
            for work in works:
                out.licences.append((work, provision, effect))
        case "pay_nothing":
            out.reasons.append(
                _reason(
                    "no-payment",
                    label,
                    f"{_titled(provision.title)}no payment is due",
                    effect.source,
                    citation=cite,
                )
            )
        case _:  # a new effect kind: mypy points here until it is handled
            assert_never(kind)


def _consent(
    effect: CompiledEffect,
    provision: CompiledProvision,
    ctx: Context,
    records: Records,
    out: _Outcome,
) -> None:
    artists, unknown = subjects(ctx, effect)
    purposes = effect.consent_purposes or (ctx.purpose,)
    for work in unknown:
        out.blocked = True
        out.reasons.append(
            _reason(
                "consent-missing",
                provision.label,
                f"{work} is not in the catalogue, so the consent of its performers cannot be checked",
                effect.source,
                citation=provision.citation,
            )
        )
    for artist in artists:
        for purpose in purposes:
            if effect.void:
                _void(effect, provision, ctx, records, out, artist, purpose)
                continue
            record, message, _ = _closest_consent(ctx, records, artist, purpose, effect)
            if record is None:
                out.blocked = True
                out.reasons.append(
                    _reason(
                        "consent-missing",
                        provision.label,
                        f"no valid consent of {artist} for {purpose} in {ctx.territory}: {message}",
                        effect.source,
                        citation=provision.citation,
                    )
                )
            else:
                out.consented.add(artist)
                out.reasons.append(
                    _reason(
                        "consent-met",
                        provision.label,
                        message,
                        effect.source,
                        citation=provision.citation,
                    )
                )


def _void(
    effect: CompiledEffect,
    provision: CompiledProvision,
    ctx: Context,
    records: Records,
    out: _Outcome,
    artist: str,
    purpose: str,
) -> None:
    """A statute that makes a term of an agreement void (Cal. Lab. Code §927): the use is
    denied only when the grant it relies on lacks the formalities; a use that relies on no
    grant (a parody, a news report) is outside the statute, whatever else may deny it."""
    record, message, closeness = _closest_consent(ctx, records, artist, purpose, effect)
    label, cite = provision.label, provision.citation
    if record is not None:
        out.consented.add(artist)
        out.reasons.append(_reason("consent-met", label, message, effect.source, citation=cite))
    elif closeness == _LACKS_FORMALITIES:
        out.blocked = True
        out.reasons.append(
            _reason(
                "consent-missing",
                label,
                f"the consent of {artist} for {purpose} relied on is void under this statute: "
                f"{message}",
                effect.source,
                citation=cite,
            )
        )
    else:
        out.reasons.append(
            _reason(
                "exception",
                label,
                f"{_titled(provision.title)}does not apply to {artist}: the use relies on no "
                f"grant of theirs for {purpose}, and the statute voids contract terms; it "
                "does not require one",
                effect.source,
                citation=cite,
            )
        )


# ----------------------------------------------------------------- contracts


def contract_miss(contract: CompiledBlock, ctx: Context) -> str | None:
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
        if not condition_holds(condition, ctx, contract.name):
            return "its `applies when` condition does not hold"
    return None


def jurisdiction_applies(
    block: CompiledBlock,
    ctx: Context,
    assumed: Mapping[str, dt.date | None],
    *,
    conditions: bool = True,
) -> bool:
    """Whether a pack is in force on the use's date (a proposed one only when assumed,
    from its assumed enactment) and its `applies when` holds (not evaluated with
    `conditions=False`, when the caller already knows it does)."""
    if block.proposed:
        if block.name not in assumed:
            return False
        enacted = assumed[block.name]
        if enacted is not None:
            # An assumed enactment date replaces the pack's own `in force from`.
            start = advance(enacted, block.after_enactment) if block.after_enactment else enacted
            if ctx.date < start or (block.end is not None and ctx.date > block.end):
                return False
            return not conditions or all(
                condition_holds(condition, ctx, block.name) for condition in block.applies
            )
    if block.start and ctx.date < block.start:
        return False
    if block.end and ctx.date > block.end:
        return False
    return not conditions or all(
        condition_holds(condition, ctx, block.name) for condition in block.applies
    )


# ----------------------------------------------------------------- the decision


def planned(
    policy: CompiledPolicy,
    records: Records,
    use: Use | PlainRequest,
    facts: dict[str, Any] | None = None,
) -> tuple[Plan, Context]:
    """The plan of one validated use (or plain request, whose `Use` it does not make), and
    the context it was read through (which pricing reads too). Raises `UseError` for a
    purpose, context, territory or fact the policy set does not know. `facts`: the use's
    facts when its names were checked against the policy's vocabulary already (else
    `use_facts` checks them and gives them)."""
    if facts is None:
        facts = use_facts(use.use() if isinstance(use, PlainRequest) else use, policy)
    ctx = Context(use, records.catalogue, facts)
    return plan(policy, records, ctx), ctx


def plan(policy: CompiledPolicy, records: Records, ctx: Context) -> Plan:
    """What applies to the use read through `ctx`: which packs and contract, the reasons,
    obligations and consent checks, and who is to be paid under which formula — no money."""
    # Ids that no contract or data file names keep their meaning; the answer says so first.
    data = records.catalogue
    reasons = unknown_id_reasons(
        ctx, policy.contracts_by_licensee, data.parties, data.works, NO_SOURCE, records.nearest_ids
    )
    obligations: list[Obligation] = []
    pays: list[tuple[CompiledEffect, CompiledProvision]] = []
    risks: list[Reason] = []
    licences: list[tuple[str, Any, CompiledEffect]] = []
    blocked = False
    jurisdictions: list[str] = []
    packs = policy.jurisdictions
    for index, settled in policy.jurisdictions_for(ctx.purpose, ctx.territory) if packs else ():
        block = packs[index]
        if not jurisdiction_applies(block, ctx, records.assumed, conditions=not settled):
            continue
        jurisdictions.append(block.name)
        outcome = _run_block(block, ctx, records)
        reasons += outcome.reasons
        obligations += outcome.obligations
        pays += outcome.pays
        risks += outcome.risks
        licences += outcome.licences
        blocked = blocked or outcome.blocked

    applicable: list[CompiledBlock] = []
    licensed_by = policy.contracts_by_licensee.get(ctx.licensee, ())
    for contract in licensed_by:
        miss = contract_miss(contract, ctx)
        if miss is None:
            applicable.append(contract)
        else:
            reasons.append(_said(contract, "does not apply: ", miss))
    chosen: tuple[CompiledBlock, _Outcome] | None = None
    contract_pays: list[Payable] = []
    outcomes = [(c, _run_block(c, ctx, records)) for c in applicable]
    for contract, outcome in outcomes:
        if outcome.permitted and not outcome.blocked:
            chosen = (contract, outcome)
            break
    if chosen is not None:
        reasons += chosen[1].reasons
        obligations += chosen[1].obligations
        risks += chosen[1].risks
        contracts = [chosen[0].name]
        blocked = _licensed(chosen[0], licences, ctx, reasons) or blocked
        contract_pays = [_payable(effect, provision, ctx) for effect, provision in chosen[1].pays]
        unasked = _paid_without_consent(contract_pays, chosen[1].consented, ctx)
        reasons += unasked
        blocked = blocked or bool(unasked)
    else:
        for contract, outcome in outcomes:
            reasons += outcome.reasons
            if not outcome.permitted:
                reasons.append(_said(contract, "does not permit ", ctx.purpose))
        if not licensed_by:
            reasons.append(
                _reason(
                    "no-licence",
                    "opt-in",
                    f"no contract licenses {ctx.licensee}: without a licence, no use",
                    NO_SOURCE,
                )
            )
        contracts = [c.name for c in applicable]
        for work, provision, effect in licences:  # say what a law asks, even with no licence
            record = ctx.catalogue.works.get(work)
            holder = record.rights_holder if record is not None else "its rights holder"
            reasons.append(
                _reason(
                    "no-licence",
                    provision.label,
                    f"{work} needs a licence from {holder}{_evidence(record)}",
                    effect.source,
                    citation=provision.citation,
                )
            )

    info = policy_info(records, contracts, jurisdictions)
    if blocked or chosen is None:
        if risks:  # a rule's risk is shown when that rule is among the reasons for the deny
            denying = {r.rule for r in reasons if r.effect in DENYING}
            reasons += [risk for risk in risks if risk.rule in denying]
        return new_plan(False, tuple(reasons), (), (), info)
    payables = [_payable(effect, provision, ctx) for effect, provision in pays]
    return new_plan(True, tuple(reasons), tuple(obligations), (*payables, *contract_pays), info)


_MAX_SAID: Final = 1024


def _said(contract: CompiledBlock, why: str, what: str) -> Reason:
    """The `no-licence` reason `contract <name> <why><what>`, made once and shared by the
    plans that give it: up to `_MAX_SAID` per contract are kept (a territory, a purpose, a
    work outside its scope ...)."""
    key = (why, what)
    reason = contract.said.get(key)
    if reason is None:
        message = f"contract {contract.name} {why}{what}"
        reason = _reason("no-licence", contract.name, message, contract.source)
        if len(contract.said) < _MAX_SAID:
            contract.said[key] = reason
    return reason


_MAX_POLICY_INFOS: Final = 4096
_POLICY_INFO_FIELDS: Final = frozenset(PolicyInfo.model_fields)


def policy_info(records: Records, contracts: list[str], jurisdictions: list[str]) -> PolicyInfo:
    """Which policy set decided and what applied: one frozen `PolicyInfo` per list of
    contracts and packs, kept in `records` (up to `_MAX_POLICY_INFOS` of them)."""
    key = (tuple(contracts), tuple(jurisdictions))
    found = records.policy_infos.get(key)
    if found is None:
        assumed = [_assumption(name, day) for name, day in sorted(records.assumed.items())]
        found = trusted(
            PolicyInfo,
            {
                "version": records.version,
                "contracts": contracts,
                "jurisdictions": jurisdictions,
                "assumed": assumed,
            },
            set(_POLICY_INFO_FIELDS),
        )
        if len(records.policy_infos) < _MAX_POLICY_INFOS:
            records.policy_infos[key] = found
    return found


def _payable(effect: CompiledEffect, provision: CompiledProvision, ctx: Context) -> Payable:
    """A payment formula that applies, with its payees for this use."""
    subject = effect.subject
    assert subject is not None
    return new_payable(
        effect,
        provision.label,
        tuple(subjects(ctx, effect)[0]),
        subject.over_attribution,
        subject.kind == "party",
    )


def _paid_without_consent(pays: list[Payable], consented: set[str], ctx: Context) -> list[Reason]:
    """The engine's own opt-in rule: a contract pays no artist whose consent it did not ask
    for and find for this use. The checker refuses a contract that never asks the artists it
    pays; this catches the uses on which a conditional requirement did not bear."""
    reasons: list[Reason] = []
    for payable in pays:
        payees: tuple[str, ...] | list[str] = payable.payees
        if payable.to_party:
            party = ctx.catalogue.party(payees[0] if payees else "")
            payees = [party.id] if party is not None and party.kind == "artist" else []
        for payee in payees:
            if payee in consented:
                continue
            reasons.append(
                _reason(
                    "consent-missing",
                    "opt-in",
                    f"{payable.rule} would pay {payee}, but no consent of {payee} was asked for and found "
                    "for this use: no payment to an artist who never said yes",
                    NO_SOURCE,
                )
            )
    return reasons


def _assumption(name: str, enacted: dt.date | None) -> str:
    return f"{name}:enacted={enacted.isoformat()}" if enacted else name


def _licensed(
    contract: CompiledBlock,
    licences: list[tuple[str, Any, CompiledEffect]],
    ctx: Context,
    reasons: list[Reason],
) -> bool:
    """Check the licences laws require against the contract relied on; True if one is missing."""
    missing = False
    for work, provision, effect in licences:
        record = ctx.catalogue.works.get(work)
        holder = record.rights_holder if record is not None else None
        if holder is not None and contract.licensor == holder:
            reasons.append(
                _reason(
                    "licence-met",
                    provision.label,
                    f"{work}: licensed by its rights holder {holder} under {contract.name}",
                    effect.source,
                    citation=provision.citation,
                )
            )
        else:
            missing = True
            who = f"its rights holder {holder}" if holder else "its rights holder (unknown)"
            reasons.append(
                _reason(
                    "no-licence",
                    provision.label,
                    f"{work} needs a licence from {who}; {contract.name} is granted by "
                    f"{contract.licensor}{_evidence(record)}",
                    effect.source,
                    citation=provision.citation,
                )
            )
    return missing


def _evidence(record: Any) -> str:
    """`; TDM reserved (tdmrep-header: …, seen …)` when the catalogue holds the evidence of
    a work's reservation, so that the reason cites what was found."""
    reservation = getattr(record, "tdm_reservation", None)
    return f"; {reservation.evidence()}" if reservation is not None else ""
