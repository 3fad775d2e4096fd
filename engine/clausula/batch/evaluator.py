"""`BatchEvaluator`: many uses decided against one policy set, exactly as one by one."""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from ..compiled import CompiledBlock
from ..models import Decision, Use
from ..money import Money
from ..plan_memo import frame_key
from ..policy_set import PolicySet
from ..pricing import Outcome, amount_due, outcome_of, outcome_of_decision, placed
from ..territory import TerritorySet, code_problem
from ..use_input import UseError, parse_use
from .analysis import Analysis
from .classes import (
    _ALLOWED,
    _ATTRIBUTED,
    _ERROR,
    _GRANT_PROJECTED,
    _MEMO_LIMIT,
    _NAMED,
    _PERFORMER,
    _Class,
    _Classified,
    _Dated,
    _Frame,
    _hashable,
    _Layout,
    _layout,
    _record_facts,
    _Signing,
    _SlotPlan,
)
from .dates import _date_values, _Duration, _moved, _NotConstant
from .loading import LoadedPolicy
from .results import (
    ShapeTable,
    UseColumns,
)
from .structure import _structure


def _policy_days(
    blocks: Mapping[str, CompiledBlock], boundaries: Sequence[dt.date] | None
) -> list[dt.date]:
    """The dates of the policy that an artist's dates are placed among: the boundaries, when
    the blocks start and end, and every date an effect holds (`made from`, compared with a
    grant's start) with the day after it."""
    days = set(boundaries or ())
    for block in blocks.values():
        days.update(d for d in (block.start, block.end) if d is not None)
        for provision in block.provisions:
            for effect in provision.effects:
                for item in dataclasses.fields(effect):
                    value = getattr(effect, item.name)
                    if isinstance(value, dt.date):
                        days.add(value)
                        with contextlib.suppress(OverflowError):
                            days.add(value + dt.timedelta(days=1))
    return sorted(days)


def _consent_durations(blocks: Mapping[str, CompiledBlock]) -> tuple[_Duration, ...]:
    """The durations after a date of the data at which a consent can start or stop
    counting: none (the date itself), coming of age, and the caps of the requirements."""
    durations: set[_Duration] = {(0, 0), (18 * 12, 0)}
    for block in blocks.values():
        for provision in block.provisions:
            for effect in provision.effects:
                if effect.kind == "consent":
                    caps = (effect.cap, effect.minors[1] if effect.minors else None)
                    durations.update((c.months, c.days) for c in caps if c is not None)
    return tuple(sorted(durations))


def _amount_key(amount: Decimal | None) -> str | None:
    """An amount (or weight) as a memory's key holds it: its text. A new `Decimal`'s first
    hash raises 10 to its exponent modulo a large prime (about 6,000 instructions for an
    amount in cents), more than pricing the use; its text hashes as any string. Equal
    amounts written alike share a key (`1.5` and `1.50` do not: each is priced once)."""
    return None if amount is None else str(amount)


# The days of an artist whose dates cannot be ordered: their signature reads the use's date.
_UNORDERED: tuple[dt.date, ...] = (dt.date.min,)


def _dates_in(value: Any, found: set[Any]) -> None:
    """Add every date found in `value` (nested tuples, lists, sets and dicts) to `found`."""
    if isinstance(value, dt.date):
        found.add(value)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            _dates_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _dates_in(item, found)


def _day_order(
    values: Any, durations: Sequence[_Duration], limits: Sequence[dt.date]
) -> tuple[tuple[dt.date, ...], Mapping[Any, int], tuple[Any, ...]] | None:
    """The days a use's date is placed among, for an artist whose consents read `values`:
    each date in them plus each duration (`_consent_durations`), sorted; each date's place
    among the dates; and the order of the days — which date plus which duration each is,
    and where it falls among `limits` (the policy's dates). None when the dates cannot be
    ordered.

    Every way the engine weighs a consent's dates compares the use's date, or another of
    the artist's dates, with one of these days, or one of them with a date of the policy:
    so two artists whose days stand in the same order, with a use's date placed alike
    among them, cannot be told apart by a consent."""
    own: set[Any] = set()
    _dates_in(values, own)
    try:
        ordered = sorted(own)
        moved: dict[Any, set[tuple[int, int]]] = {}
        for i, day in enumerate(ordered):
            for j, duration in enumerate(durations):
                with contextlib.suppress(OverflowError, ValueError):
                    moved.setdefault(_moved(day, duration), set()).add((i, j))
        days = tuple(sorted(moved))
    except TypeError:
        return None
    order = tuple(
        (
            tuple(sorted(moved[day])),
            bisect.bisect_left(limits, day),
            bisect.bisect_right(limits, day),
        )
        for day in days
    )
    return days, {day: i for i, day in enumerate(ordered)}, order


def _placed(value: Any, places: Mapping[Any, int]) -> Any:
    """`value` with each date replaced by its place in `places` (an artist's own dates)."""
    if isinstance(value, dt.date):
        return ("day", places[value])
    if isinstance(value, tuple):
        return tuple(_placed(item, places) for item in value)
    return value


# The role flags of a batch layout, by the roles `kinds.subject_roles` names.
_ROLE_FLAGS = {"performer": _PERFORMER, "named": _NAMED, "attributed": _ATTRIBUTED}


def party_facts(party: Any, abstraction: Any) -> tuple[Any, Any]:
    """What an artist's signature reads of their party record: the fields the clauses
    read, and which of the clauses' residence tests the residence passes."""
    residence = party.residence
    answers = None
    if residence is not None:
        known = abstraction.residence_answers
        answers = known.get(residence)
        if answers is None:
            answers = tuple(s.contains(residence) for s in abstraction.residence)
            if len(known) < _MEMO_LIMIT:
                known[residence] = answers
    return tuple(getattr(party, f) for f in abstraction.party_fields), answers


class BatchEvaluator:
    """Decide many uses against one policy set, with the results of `PolicySet.decide`.

    Give it the `LoadedPolicy` from `load_files`, or a `PolicySet` from `clausula.load`
    (both carry the checked clause text needed to prove that grouping is safe); with a
    policy set that has none (loaded with a consent `ledger`) every use takes the one-use
    path.
    Not thread-safe: one evaluator per thread.
    """

    def __init__(self, policy: LoadedPolicy | PolicySet) -> None:
        self.policy_set = policy.policy_set if isinstance(policy, LoadedPolicy) else policy
        # Read off the checked clauses once per set (`PolicySet.analysis`); a set without
        # them groups nothing.
        self.analysis = self.policy_set.analysis or Analysis(
            reads_id=True, metrics_in_conditions=True
        )
        self.stats = {"uses": 0, "structures": 0, "one_use": 0, "cached": 0, "classes": 0}
        #: Time spent planning classes met for the first time (what later uses of a class
        #: no longer pay): `decide_outcomes` leaves it out when it weighs the classes.
        self.planning_seconds = 0.0
        compiled = self.policy_set.compiled
        self._records = self.policy_set._records
        self._catalogue = self._records.catalogue
        # Payment formulas that read only metrics, weight and share: memoised across classes.
        self._pure: set[int] = set()
        blocks = {b.name: b for b in compiled.jurisdictions}
        for contracts in compiled.contracts_by_licensee.values():
            blocks.update((c.name, c) for c in contracts)
        for name, p_index, e_index in self.analysis.pure_amounts:
            block = blocks.get(name)
            if block is not None and p_index < len(block.provisions):
                effects = block.provisions[p_index].effects
                if e_index < len(effects) and effects[e_index].kind == "pay":
                    self._pure.add(id(effects[e_index]))
        # Who must consent, per role of an artist in a use, and for which purposes (None:
        # the use's purpose).
        self._consent: dict[int, tuple[str | None, ...]] = {}
        wanted: dict[int, dict[str | None, None]] = {
            _PERFORMER: {},
            _NAMED: {},
            _ATTRIBUTED: {},
        }
        for block in blocks.values():
            for provision in block.provisions:
                for effect in provision.effects:
                    subject = effect.subject
                    if effect.kind != "consent" or subject is None or subject.kind == "party":
                        continue
                    for name in subject.roles:
                        wanted[_ROLE_FLAGS[name]].update(
                            dict.fromkeys(effect.consent_purposes or (None,))
                        )
        for roles in range(8):
            purposes: dict[str | None, None] = {}
            for role, names in wanted.items():
                if roles & role:
                    purposes.update(names)
            self._consent[roles] = tuple(purposes)
        # Caches: frames, layouts, signatures, classes, and amounts.
        self._frames: dict[tuple[Any, ...], _Frame] = {}
        self._layouts: dict[tuple[Any, ...], _Layout] = {}
        self._signatures: dict[tuple[Any, ...], int] = {}
        self._signature_ids: dict[Any, int] = {}
        self._grants: dict[tuple[str, str], Any] = {}
        self._classes: dict[tuple[Any, ...], _Class] = {}
        self._signings: dict[tuple[Any, ...], _Signing] = {}
        self._dated: dict[tuple[Any, ...], _Dated] = {}  # (signing, artist, roles) → template
        self._artist_days_memo: dict[tuple[str, dt.date | None], Any] = {}
        self._facts_memo: dict[
            tuple[str, dt.date | None], tuple[Any, tuple[tuple[Any, Any], ...]]
        ] = {}
        # (licensee, purpose, dated, artist, roles) → `_artist_base`; with which records
        # count → the signature and days.
        self._artist_bases: dict[tuple[Any, ...], Any] = {}
        self._kept_memo: dict[tuple[Any, ...], _Dated] = {}
        self._placed_memo: dict[tuple[Any, ...], _Dated] = {}  # (artist, dated, records)
        self._layout_count = 0
        self._table: Any = None
        self._of_shape: list[_Classified | None] = []
        self._table_frames: dict[int, tuple[_Frame, _Signing, dt.date]] = {}
        self._table_entities: dict[int, tuple[_Layout, int]] = {}
        # (frame, layout, signing, date) → class
        self._placed: dict[tuple[int, int, int, dt.date], _Class] = {}
        self._amounts: dict[str, dict[tuple[Any, ...], Any]] = {}  # per currency
        self._roundings: dict[tuple[Any, ...], Outcome] = {}
        self._answers: dict[tuple[Any, ...], Outcome] = {}
        # Dates at which something the policy compares the use's date with changes; the
        # territory sets that tell territories apart.
        self._durations = _consent_durations(blocks)
        self._boundaries = self._date_boundaries(blocks)
        self._policy_days = _policy_days(blocks, self._boundaries)
        self._territory_sets = self._territory_tests(blocks)
        self._territory_keys: dict[str, Any] = {}

    # -------------------------------------------------------------- full decisions
    def decide_many(self, uses: Iterable[Use | Mapping[str, Any]]) -> list[Decision | UseError]:
        """Every use's `Decision` (or the `UseError` that `PolicySet.decide` would raise),
        in order: `PolicySet.decide`, whose plan memo (`clausula.plan_memo`) plans uses
        alike once."""
        results: list[Decision | UseError] = []
        for raw in uses:
            try:
                use = parse_use(raw)
            except UseError as error:
                results.append(error)
                continue
            self.stats["uses"] += 1
            results.append(self._one(use))
        return results

    def _one(self, use: Use) -> Decision | UseError:
        self.stats["one_use"] += 1
        try:
            return self.policy_set.decide(use)
        except UseError as error:
            return error

    # -------------------------------------------------------------- columns
    def evaluate(
        self, columns: UseColumns, *, progress: Callable[[int], None] | None = None
    ) -> Iterator[Outcome]:
        """The compact `Outcome` of every use of `columns`, in order.

        Uses whose shapes decide alike share one structure; uses with the same shape and
        the same metrics share one answer. `progress(n)` is called every 10,000 uses.
        """
        answers: dict[tuple[Any, ...], Outcome] = {}  # by the amount's text (`_amount_key`)
        keys = zip(
            [int(s) for s in columns.shape],
            columns.revenue,
            [int(g) for g in columns.generations],
            [int(s) for s in columns.streams],
            strict=True,
        )
        for index, key in enumerate(keys):
            if progress is not None and index % 10_000 == 0 and index:
                progress(10_000)
            self.stats["uses"] += 1
            amount_key = _amount_key(key[1])
            memo_key = (key[0], amount_key, key[2], key[3])
            known = answers.get(memo_key)
            if known is None or self.analysis.reads_id:
                known = answers[memo_key] = self._answer(columns, key, amount_key)
            else:
                self.stats["cached"] += 1
            yield placed(known, index)

    def tally(
        self, columns: UseColumns, *, progress: Callable[[int], None] | None = None
    ) -> list[tuple[Outcome, tuple[int, Decimal | None, int, int], int]]:
        """Every distinct answer of `columns` as `(outcome, key, number of uses)`, where the
        key is `(shape, revenue, generations, streams)`, in the order of first use.

        What a simulation sums: the uses with the same shape and metrics are counted, and
        each distinct one is decided once (its `Outcome.position` is -1). Summing an
        outcome's payments times its count gives the same totals as deciding every use.
        """
        keys = Counter(
            zip(
                np.asarray(columns.shape).tolist(),
                columns.revenue,
                np.asarray(columns.generations).tolist(),
                np.asarray(columns.streams).tolist(),
                strict=True,
            )
        )
        self.stats["uses"] += len(columns)
        self.stats["cached"] += len(columns) - len(keys)
        answer = self._answer
        result: list[tuple[Outcome, tuple[int, Decimal | None, int, int], int]] = []
        append = result.append
        for done, (key, count) in enumerate(keys.items()):
            if progress is not None and done % 10_000 == 0 and done:
                progress(10_000)
            append((answer(columns, key, _amount_key(key[1])), key, count))
        return result

    # -------------------------------------------------------------- one answer
    def _answer(
        self,
        columns: UseColumns,
        key: tuple[int, Decimal | None, int, int],
        amount_key: str | None,
    ) -> Outcome:
        """The outcome of the uses of `columns` with this (shape, revenue, generations,
        streams) key; `amount_key` is the revenue as the memories key it (`_amount_key`)."""
        s, amount, generations, streams = key
        if generations < 0 or streams < 0 or not self.analysis.groups_without_metrics:
            return self._column_one(columns, key)
        if self._table is not columns.shapes:
            self._shape_classes(columns)
        of_shape = self._of_shape
        found = of_shape[s] if s < len(of_shape) else None
        if found is None:
            found = self._classify(columns.shapes, s)
        cls, layout, attribution, weights = found
        if not cls.resolved:
            began = time.perf_counter()
            resolved = self._resolve(cls, columns, key)
            self.planning_seconds += time.perf_counter() - began
            if not resolved:
                return self._column_one(columns, key)
        if not cls.plans:
            return cls.answer
        # The answer depends on the class, the payees and weights (unless every payment is
        # to a party named in the clauses, with an amount that reads only the metrics).
        memo_key = (
            (cls.number, amount_key, generations, streams, columns.currency)
            if cls.by_metrics
            else (
                cls.number,
                layout.number,
                weights,
                amount_key,
                generations,
                streams,
                columns.currency,
            )
        )
        known = self._answers.get(memo_key)
        if known is not None:
            return known
        priced = self._priced(
            cls,
            layout.artists,
            layout.works,
            attribution,
            amount,
            generations,
            streams,
            columns.currency,
        )
        if priced is None:
            return self._column_one(columns, key)
        outcome = priced[0]
        if len(self._answers) > _MEMO_LIMIT:
            self._answers.clear()
        self._answers[memo_key] = outcome
        return outcome

    def class_of_shape(self, s: int) -> _Classified | None:
        """Where the last `evaluate` placed shape `s` of its shapes: `(class, layout,
        attribution, weights)`, or None when it took the one-use path."""
        of_shape = self._of_shape
        return of_shape[s] if s < len(of_shape) else None

    def priced(
        self,
        placed: _Classified,
        artists: tuple[str, ...],
        works: tuple[str, ...],
        amount: Decimal | None,
        generations: int,
        streams: int,
        currency: str,
    ) -> tuple[Outcome, list[tuple[str, Money, str]]] | None:
        """The outcome of a use in the class `placed` is in, whose layout has `artists` and
        `works` in the places of `placed`'s (the class proves the plan holds for it: only
        the payees differ), with these metrics — what `evaluate` gives for that use — and
        the exact payment lines it rounded. None when the class is not resolved or its
        pricing raises (then the use's own path decides it and names the error)."""
        cls, _, attribution, _ = placed
        if not cls.resolved:
            return None
        return self._priced(
            cls, artists, works, attribution, amount, generations, streams, currency
        )

    def _priced(
        self,
        cls: _Class,
        artists: tuple[str, ...],
        works: tuple[str, ...],
        attribution: Mapping[str, Decimal],
        amount: Decimal | None,
        generations: int,
        streams: int,
        currency: str,
    ) -> tuple[Outcome, list[tuple[str, Money, str]]] | None:
        """The core's answer for one use of the resolved class `cls` whose layout has these
        artists and works (in the places of the class's), with these metrics — its plan
        priced, rounded by the one rule — and the exact lines (None: pricing raises)."""
        if not cls.plans:
            return cls.answer, []
        lines = self._payments(
            cls, artists, works, attribution, amount, generations, streams, currency
        )
        if lines is None:
            return None
        if cls.denied or not lines:
            return cls.answer, lines
        return self._rounded_outcome(lines), lines

    def _rounded_outcome(self, lines: list[tuple[str, Money, str]]) -> Outcome:
        """The outcome of these exact payment lines, rounded by the core's one rule."""
        memo_key = tuple(
            [
                (payee, _amount_key(exact.amount), exact.currency, rule)
                for payee, exact, rule in lines
            ]
        )
        known = self._roundings.get(memo_key)
        if known is None:
            if len(self._roundings) > _MEMO_LIMIT:
                self._roundings.clear()
            known = self._roundings[memo_key] = outcome_of(lines)
        return known

    def _payments(
        self,
        cls: _Class,
        artists: tuple[str, ...],
        works: tuple[str, ...],
        attribution: Mapping[str, Decimal],
        amount: Decimal | None,
        generations: int,
        streams: int,
        currency: str,
    ) -> list[tuple[str, Money, str]] | None:
        """The exact payment lines of one use of `cls` (None: take the one-use path)."""
        lines: list[tuple[str, Money, str]] = []
        memo = self._amounts.get(currency)
        if memo is None or len(memo) > _MEMO_LIMIT:
            memo = self._amounts[currency] = {}
        amount_key = _amount_key(amount)
        for plan in cls.plans:
            memo_id, per_payee = plan.memo_id, plan.per_payee
            for k, (kind, value) in enumerate(plan.slots):
                payee = value if kind == 0 else artists[value] if kind == 1 else works[value]
                weight = attribution.get(payee) if plan.payable.over_attribution else None
                weight_key = _amount_key(weight)
                memo_key = (
                    (memo_id, k, amount_key, generations, streams, weight_key)
                    if per_payee
                    else (memo_id, amount_key, generations, streams, weight_key)
                )
                exact = memo.get(memo_key)
                if exact is None:
                    exact = memo[memo_key] = self._evaluate(
                        cls,
                        plan,
                        k,
                        weight,
                        artists,
                        attribution,
                        amount,
                        generations,
                        streams,
                        currency,
                    )
                if exact is _ERROR:
                    return None
                if exact is not False:
                    lines.append((payee, exact, plan.payable.rule))
        return lines

    def _evaluate(
        self,
        cls: _Class,
        plan: _SlotPlan,
        k: int,
        weight: Decimal | None,
        artists: tuple[str, ...],
        attribution: Mapping[str, Decimal],
        amount: Decimal | None,
        generations: int,
        streams: int,
        currency: str,
    ) -> Any:
        """One payee's amount, computed in the representative's context with this use's
        metrics and weights: a `Money`, False (nothing due) or `_ERROR`."""
        ctx = cls.ctx
        assert ctx is not None
        metrics = (amount, currency, generations, streams)
        if cls.metrics != metrics:
            ctx.revenue = Money(amount, currency) if amount is not None else Money(Decimal(0), "")
            ctx.generations = generations
            ctx.streams = streams
            ctx.memo = {}
            cls.metrics = metrics
        if plan.per_payee:
            # This use's weights, under the names of the representative's artists.
            names = cls.layout.artists
            ctx.attribution = {names[artists.index(a)]: w for a, w in attribution.items()}
        try:  # the core's pricing of one payee, in the representative's names
            due = amount_due(plan.payable, plan.payable.payees[k], weight, ctx, with_basis=False)
        except Exception:  # the one-use path raises its own, identical, error
            return _ERROR
        return False if due is None else due[0]

    def _column_one(
        self, columns: UseColumns, key: tuple[int, Decimal | None, int, int]
    ) -> Outcome:
        try:
            use = columns.use(*key)
        except ValueError as error:  # a pydantic ValidationError: a negative count
            return Outcome(-1, "error", (), (), (), str(error).splitlines()[0])
        result = self._one(use)
        if isinstance(result, UseError):
            return Outcome(-1, "error", (), (), (), str(result))
        return outcome_of_decision(-1, result)

    # -------------------------------------------------------------- classes
    def _shape_classes(self, columns: UseColumns) -> list[_Classified | None]:
        """The classes found so far for the shapes of `columns` (kept while the same shapes
        object comes back, e.g. run after run of a simulation)."""
        if self._table is not columns.shapes:
            self._table = columns.shapes
            self._of_shape = []
            self._table_frames = {}
            self._table_entities = {}
        return self._of_shape

    def _date_boundaries(self, blocks: Mapping[str, CompiledBlock]) -> list[dt.date] | None:
        """The dates between which the decisions cannot change with the use's date, but for
        what it does to the artists' consents (their signatures tell that): every date the
        clauses compare it with (over all artists and works of the data), and when laws
        and contracts start and end. None when they cannot all be listed (then each date
        is a frame of its own)."""
        terms = self.analysis.date_terms
        if terms is None or not self._ledger_is_the_data():
            return None
        records, catalogue = self._records, self._catalogue
        parties = getattr(catalogue, "parties", None)
        grants = getattr(catalogue, "grants", None)
        if not isinstance(parties, Mapping) or not isinstance(grants, Mapping):
            return None
        values: set[dt.date] = set()
        try:
            for name, node, definitions in terms:
                block = blocks.get(name)
                parameters = block.parameters if block is not None else {}
                values |= _date_values(node, definitions, parameters, catalogue)
        except _NotConstant:
            return None
        for block in blocks.values():
            values.update(d for d in (block.start, block.end) if d is not None)
            enacted = records.assumed.get(block.name)
            if block.proposed and enacted is not None:
                values.add(enacted)
                if block.after_enactment is not None:
                    after = block.after_enactment
                    values.add(_moved(enacted, (after.months, after.days)))
        # The dates of the data (a party's, a grant's, a ledger record's) are not among
        # the boundaries: an artist's signature says where the use's date falls among
        # their own dates and those plus each duration (`_dated_days`), so that uses on
        # different days share a class when every artist's consents stand alike on them.
        boundaries: set[dt.date] = set()
        for value in values:  # `<` and `>=` change at a value; `<=` and `>` the day after
            boundaries.add(value)
            with contextlib.suppress(OverflowError):
                boundaries.add(value + dt.timedelta(days=1))
        return sorted(boundaries)

    def _ledger_is_the_data(self) -> bool:
        """Whether every grant the engine can find is one of the data files' (so that their
        dates and territories can all be listed)."""
        records = self._records
        return (
            records.dated_ledger is None
            and records.territories_of is None
            and records.ledger is getattr(self._catalogue, "ledger", None)
        )

    def _territory_tests(self, blocks: Mapping[str, CompiledBlock]) -> list[TerritorySet] | None:
        """Every territory set a use's territory is tested against in the clauses and the
        contracts' territories (None when they cannot all be listed). The grants' are not
        among them: an artist's signature reads the use's own territory (`_Signing`)."""
        tests = self.analysis.territory_tests
        if tests is None or not self._ledger_is_the_data():
            return None
        registry = self.policy_set.compiled.vocabulary.territories
        sets: dict[TerritorySet, None] = {}
        for codes in tests[0]:
            sets[registry.territory_set(codes)] = None
        for block in blocks.values():
            if block.territory is not None:
                sets[block.territory] = None
        return list(sets)

    def _territory(self, territory: str) -> Any:
        """What the policy can tell of a territory: whether it is a valid code, and which
        of the sets (and exact codes) it tests territories against it falls in."""
        key = self._territory_keys.get(territory)
        if key is None:
            sets, tests = self._territory_sets, self.analysis.territory_tests
            if sets is None or tests is None or code_problem(territory) is not None:
                key = ("code", territory)
            else:
                try:
                    key = (
                        tuple(s.contains(territory) for s in sets),
                        tuple(sorted(code for code in tests[1] if code == territory)),
                    )
                except Exception:  # a code the sets cannot place: on its own
                    key = ("code", territory)
            self._territory_keys[territory] = key
        return key

    def _frame(self, use: Use) -> _Frame:
        key = frame_key(use)
        territory = self._territory(use.territory)
        key = (key[0], key[1], key[2], territory, *key[4:])
        if self._boundaries is not None:  # the date only through the period it falls in
            key = (bisect.bisect_right(self._boundaries, use.date), *key[1:])
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frames[key] = _Frame(
                len(self._frames),
                use,
                use.licensee,
                use.purpose,
                use.territory,
                use.date,
                self.policy_set.compiled.contracts_by_licensee.get(use.licensee, ()),
            )
        return frame

    def _signing_of(self, use: Use) -> _Signing:
        """What the signatures of the use's artists read of it besides its date (the date
        too when the ledger answers as of a day)."""
        dated = use.date if self._records.dated_ledger is not None else None
        key = (use.licensee, use.purpose, use.territory, dated)
        signing = self._signings.get(key)
        if signing is None:
            if len(self._signings) > _MEMO_LIMIT:
                self._signings.clear()
            signing = self._signings[key] = _Signing(self._signature(("signing", key)), *key)
        return signing

    def _layout_of(
        self, works: Sequence[str], artists: Sequence[str], attribution: Mapping[str, Decimal]
    ) -> _Layout:
        key = (
            works if isinstance(works, tuple) else tuple(works),
            artists if isinstance(artists, tuple) else tuple(artists),
            tuple(attribution),
        )
        layout = self._layouts.get(key)
        if layout is None:
            if len(self._layouts) > _MEMO_LIMIT:
                self._layouts.clear()
            made = _layout(key[0], key[1], key[2], self._catalogue.performers_of)
            self._layout_count += 1
            layout = self._layouts[key] = _Layout(
                made.artists,
                made.roles,
                made.works,
                made.graph,
                self._layout_count,
                self._signature(("graph", made.graph)),
            )
        return layout

    def _classify(self, shapes: Sequence[Use], s: int) -> _Classified:
        attribution: Mapping[str, Decimal]
        weights: int | None = None
        if isinstance(shapes, ShapeTable):
            f = shapes.frame[s]
            found_frame = self._table_frames.get(f)
            if found_frame is None:
                bare = shapes.frames[f]
                found_frame = self._table_frames[f] = (
                    self._frame(bare),
                    self._signing_of(bare),
                    bare.date,
                )
            frame, signing, date = found_frame
            attribution = shapes.attribution[s]
            entities = shapes.entities
            if entities is None:
                layout = self._layout_of(shapes.works[s], shapes.artists[s], attribution)
            else:
                entity = entities[s]
                known = self._table_entities.get(entity)
                if known is None:
                    layout = self._layout_of(shapes.works[s], shapes.artists[s], attribution)
                    weights = self._weights(layout, attribution)
                    self._table_entities[entity] = (layout, weights)
                else:
                    layout, weights = known
        else:
            use = shapes[s]
            frame, signing, date = self._frame(use), self._signing_of(use), use.date
            attribution = use.attribution
            layout = self._layout_of(use.works, use.artists, attribution)
        if weights is None:
            weights = self._weights(layout, attribution)
        placed = (frame.number, layout.number, signing.number, date)
        cls = self._placed.get(placed)
        if cls is None:
            if len(self._placed) > _MEMO_LIMIT:
                self._placed.clear()
            cls = self._placed[placed] = self._class_of(frame, layout, signing, date)
        of_shape = self._of_shape
        if s >= len(of_shape):
            of_shape.extend([None] * (s + 1 - len(of_shape)))
        found = of_shape[s] = (cls, layout, attribution, weights)
        return found

    def _weights(self, layout: _Layout, attribution: Mapping[str, Decimal]) -> int:
        return self._signature(("weights", layout.number, tuple(attribution.values())))

    def _class_of(self, frame: _Frame, layout: _Layout, signing: _Signing, date: dt.date) -> _Class:
        """The class of the shapes of this frame with these works and artists, for a use
        of this signing on this date."""
        works = tuple(self._work_signature(work, frame) for work in layout.works)
        artists = tuple(
            self._artist_signature(artist, roles, frame, signing, date)
            for artist, roles in zip(layout.artists, layout.roles, strict=True)
        )
        key = (frame.number, layout.graph_number, self._signature((works, artists)))
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = _Class(len(self._classes), frame, layout)
            self.stats["classes"] += 1
        return cls

    def _signature(self, value: Any) -> int:
        number = self._signature_ids.get(value)
        if number is None:
            number = self._signature_ids[value] = len(self._signature_ids)
        return number

    def _work_signature(self, work: str, frame: _Frame) -> int:
        """What the policy can tell of a work in this frame (equal for works it cannot
        tell apart)."""
        memo_key = (frame.licensee, work)
        found = self._signatures.get(memo_key)
        if found is not None:
            return found
        abstraction = self.analysis.abstraction
        value: Any
        if abstraction is None or work in abstraction.literals:
            value = ("id", work)
        else:
            record = self._catalogue.works.get(work)
            scope = tuple(c.scope_works is None or work in c.scope_works for c in frame.contracts)
            if record is None:
                value = ("unknown", scope)
            else:
                value = (
                    "work",
                    scope,
                    tuple(getattr(record, f) for f in abstraction.work_fields),
                    tuple(record.rights_holder == c.licensor for c in frame.contracts),
                )
        number = self._signatures[memo_key] = self._signature(value)
        return number

    def _artist_signature(
        self, artist: str, roles: int, frame: _Frame, signing: _Signing, date: dt.date
    ) -> int:
        """What the policy can tell of an artist in these roles in this frame, for a use of
        this signing on this date: catalogue facts, scopes, and the grants that could count
        for the consents asked of them — their dates told only by where `date` falls
        among them (see `_artist_template`)."""
        memo_key = (signing.number, artist, roles)
        found = self._dated.get(memo_key)
        if found is None:
            if len(self._dated) > _MEMO_LIMIT:
                self._dated.clear()
            found = self._dated[memo_key] = self._artist_template(artist, roles, frame, signing)
        template, days = found
        if days is None:
            return template
        if days is _UNORDERED:  # dates that cannot be ordered: no two uses' dates alike
            return self._signature(("exact", template, date))
        return self._signature(
            ("on", template, bisect.bisect_left(days, date), bisect.bisect_right(days, date))
        )

    def _artist_template(self, artist: str, roles: int, frame: _Frame, signing: _Signing) -> _Dated:
        """The artist's signature with the dates of the consents that could count replaced
        by their places among those dates (`_day_order`), and the sorted days a use's date
        is placed among (None: the signature reads no such date)."""
        base_key = (signing.licensee, signing.purpose, signing.date, artist, roles)
        base = self._artist_bases.get(base_key)
        if base is None:
            if len(self._artist_bases) > _MEMO_LIMIT:
                self._artist_bases.clear()
            base = self._artist_bases[base_key] = self._artist_base(artist, roles, frame, signing)
        fixed, exists, candidates = base
        if fixed is not None:
            return fixed
        indices = tuple(i for i, _, where in candidates if where.contains(signing.territory))
        memo_key = (base_key, indices)
        found = self._kept_memo.get(memo_key)
        if found is None:
            if len(self._kept_memo) > _MEMO_LIMIT:
                self._kept_memo.clear()
            found = self._kept_memo[memo_key] = self._consent_template(
                artist, signing.date, exists, candidates, indices
            )
        return found

    def _artist_base(
        self, artist: str, roles: int, frame: _Frame, signing: _Signing
    ) -> tuple[_Dated | None, Any, tuple[tuple[int, tuple[bool, ...], TerritorySet], ...]]:
        """What an artist's signature reads of a use but its territory: the signature
        itself when it reads no consent (first), else what it reads of the artist (party
        facts and scopes, second) and the records that could count for this licensee and
        purpose — their place among the artist's records, which purposes asked each
        covers, and where it holds (third)."""
        abstraction = self.analysis.abstraction
        if abstraction is None or artist in abstraction.literals:
            return (self._signature(("id", artist)), None), None, ()
        party = self._catalogue.party(artist)
        scope = tuple(c.scope_artists is None or artist in c.scope_artists for c in frame.contracts)
        fields = None if party is None else party_facts(party, abstraction)
        purposes = tuple(dict.fromkeys(p or signing.purpose for p in self._consent[roles]))
        if not purposes:
            value = ("artist", party is not None, scope, fields, None)
            return (self._signature(value), None), None, ()
        _, held = self._artist_facts(artist, signing.date)
        candidates = []
        territories = self._records.territories
        for index, (grant, _) in enumerate(held):
            if grant.grantee != "any" and grant.grantee != signing.licensee:
                continue  # never counts for this licensee
            covered = tuple(p in grant.purposes or "any" in grant.purposes for p in purposes)
            if any(covered):
                candidates.append((index, covered, territories(grant)))
        return None, (party is not None, scope, fields), tuple(candidates)

    def _consent_template(
        self,
        artist: str,
        dated: dt.date | None,
        exists: Any,
        candidates: tuple[tuple[int, tuple[bool, ...], TerritorySet], ...],
        indices: tuple[int, ...],
    ) -> _Dated:
        """The signature of an artist whose records at `indices` (of `_artist_facts`) can
        count for a use (`candidates`: which purposes each covers), their dates placed."""
        covers = tuple(covered for i, covered, _ in candidates if i in indices)
        placed_key = (artist, dated, indices)
        placed = self._placed_memo.get(placed_key)
        if placed is None:
            if len(self._placed_memo) > _MEMO_LIMIT:
                self._placed_memo.clear()
            placed = self._placed_memo[placed_key] = self._placed_records(artist, dated, indices)
        number, days = placed
        return self._signature(("artist", exists, number, covers)), days

    def _placed_records(
        self, artist: str, dated: dt.date | None, indices: tuple[int, ...]
    ) -> _Dated:
        """The artist's birth and death and their records at `indices`, dates placed among
        theirs with the order of their days (`_day_order`), numbered; and the days."""
        life, held = self._artist_facts(artist, dated)
        kept = [held[i][1] for i in indices]
        ordered = _day_order((life, *kept), self._durations, self._policy_days)
        if ordered is None:  # dates that cannot be ordered: kept as they are
            return self._signature(("as is", life, tuple(kept))), _UNORDERED
        days, places, order = ordered
        placed = (_placed(life, places), tuple(_placed(k, places) for k in kept), order)
        return self._signature(("placed", placed)), days

    def _artist_facts(
        self, artist: str, dated: dt.date | None
    ) -> tuple[Any, tuple[tuple[Any, Any], ...]]:
        """What a consent can read of the artist, ids left out: their birth and death, and
        each ledger record (its grant, and all it says but who it is for, where and for
        what, which the signature reads per use). `dated`: the day a ledger that answers
        as of a day is asked about."""
        memo_key = (artist, dated)
        found = self._facts_memo.get(memo_key)
        if found is not None:
            return found
        records = self._records
        ledger = records.dated_ledger
        held = (
            ledger.records_on(artist, dated)
            if ledger is not None and dated is not None
            else records.ledger.records_for(artist)
        )
        party = self._catalogue.party(artist)
        life: Any = (party.birth_date, party.death_date) if party is not None else None
        parts = []
        for record in held:
            grant = record.grant
            rest = self._grants.get((artist, grant.id))
            if rest is None:
                rest = self._grants[(artist, grant.id)] = self._grant_rest(artist, grant)
            parts.append((grant, (rest, _record_facts(record))))
        found = (life, tuple(parts))
        if len(self._facts_memo) > _MEMO_LIMIT:
            self._facts_memo.clear()
        self._facts_memo[memo_key] = found
        return found

    def _artist_days(
        self, artist: str, dated: dt.date | None = None
    ) -> tuple[tuple[dt.date, ...], Mapping[Any, int], tuple[Any, ...]] | None:
        """`_day_order` of all the artist's dates (of every ledger record of theirs, not
        only those that could count for a use): days among which a use's date falls no
        less finely than among those of any signature of theirs."""
        memo_key = (artist, dated)
        if memo_key in self._artist_days_memo:
            known: tuple[tuple[dt.date, ...], Mapping[Any, int], tuple[Any, ...]] | None
            known = self._artist_days_memo[memo_key]
            return known
        life, held = self._artist_facts(artist, dated)
        found = _day_order(
            (life, *(facts for _, facts in held)), self._durations, self._policy_days
        )
        if len(self._artist_days_memo) > _MEMO_LIMIT:
            self._artist_days_memo.clear()
        self._artist_days_memo[memo_key] = found
        return found

    def _grant_rest(self, artist: str, grant: Any) -> Any:
        """A grant's own facts but the projected ones; who gave it, relative to the artist."""
        # A pydantic model without extra fields iterates as its `__dict__` (read directly:
        # the model's own iteration is several times slower, and this runs per grant).
        items = grant.__dict__.items() if getattr(grant, "__pydantic_extra__", 0) is None else grant
        rest = tuple(
            (name, _hashable(value)) for name, value in items if name not in _GRANT_PROJECTED
        )
        if grant.grantor == artist and grant.on_behalf_of in (None, artist):
            return ("self", rest)
        grantor = self._catalogue.party(grant.grantor)
        return (
            "by",
            grant.grantor,
            grant.on_behalf_of,
            _hashable(grantor.model_dump()) if grantor is not None else None,
            rest,
        )

    def _resolve(
        self, cls: _Class, columns: UseColumns, key: tuple[int, Decimal | None, int, int]
    ) -> bool:
        """Compute the structure of `cls` from this use (its representative); False when
        the use must take the one-use path (its decision raises)."""
        if cls.dead:
            return False
        try:
            use = columns.use(*key)
        except ValueError:
            return False
        try:
            structure = _structure(self.policy_set, use)
        except UseError:
            cls.failures += 1
            cls.dead = cls.failures >= 8
            return False
        self.stats["structures"] += 1
        layout = self._layout_of(use.works, use.artists, use.attribution)
        artists = {a: i for i, a in enumerate(layout.artists)}
        works = {w: i for i, w in enumerate(layout.works)}
        plans = []
        for index, payable in enumerate(structure.plan.pays):
            slots: list[tuple[int, Any]] = []
            for payee in payable.payees:
                if payable.to_party:
                    slots.append((0, payee))
                elif payee in artists:
                    slots.append((1, artists[payee]))
                elif payee in works:
                    slots.append((2, works[payee]))
                else:  # pragma: no cover - payees come from the use or the clause text
                    slots.append((0, payee))
            pure = id(payable.effect) in self._pure
            plans.append(
                _SlotPlan(
                    payable,
                    tuple(slots),
                    self._signature(
                        ("pure", id(payable.effect), payable.share)
                        if pure
                        else ("class", cls.number, index)
                    ),
                    not pure,
                )
            )
        cls.layout = layout
        cls.ctx = structure.ctx
        cls.metrics = None
        cls.denied = structure.denied
        cls.plans = tuple(plans)
        cls.answer = structure.refused or _ALLOWED
        cls.by_metrics = all(
            not plan.per_payee
            and not plan.payable.over_attribution
            and all(kind == 0 for kind, _ in plan.slots)
            for plan in cls.plans
        )
        cls.resolved = True
        return True


def kept_evaluator(policies: PolicySet | LoadedPolicy) -> BatchEvaluator:
    """This thread's batch core for the policy set, made on first use and then kept with
    the set (`PolicySet._per_thread`), so that what one batch call learnt (classes, the
    date boundaries, memos of pure functions of the immutable set) serves the next. Its
    memories are bounded (`classes._MEMO_LIMIT` entries each)."""
    policy_set = policies.policy_set if isinstance(policies, LoadedPolicy) else policies
    kept = policy_set._per_thread
    evaluator: BatchEvaluator | None = getattr(kept, "evaluator", None)
    if evaluator is None:
        evaluator = kept.evaluator = BatchEvaluator(policies)
    return evaluator
