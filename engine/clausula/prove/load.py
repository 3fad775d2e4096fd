"""Loading policy sets for the prover: the engine's own loader, and one `Space` over them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import ast
from ..batch import LoadedPolicy, load_files
from ..compiler import compile_policy
from ..policy_set import PolicySet, _display, clause_files, records_of, version_names
from ..territory import TerritorySet
from .encode import Atom, Encoder
from .records import with_records
from .space import Space, territory_classes

DEFAULT_CURRENCY = "USD"


@dataclass
class Loaded:
    """A policy set as the engine runs it, with what the prover needs beside it."""

    policy: LoadedPolicy
    assumed: tuple[str, ...]  # every proposed pack, assumed in force (no enactment date)
    shown: dict[str, str]  # name in the set → path as reached from the working directory

    def where(self, span: Any) -> str:
        """`path:line:col` of a span, as the user reaches the file."""
        return f"{self.shown.get(span.path, span.path)}:{span.line}:{span.column}"

    def with_records(self, records: Mapping[str, Sequence[Mapping[str, Any]]]) -> PolicySet:
        """The engine's policy set deciding against the data plus `records` (entries of
        the data files): compiled again, since a contract's scope reads the catalogue."""
        engine = self.policy.policy_set
        dataset = with_records(engine.data, records)
        checked = self.policy.checked
        compiled = compile_policy(checked, dataset)
        return PolicySet(
            compiled, records_of(checked, dataset, engine.version, engine.assumed), dataset
        )


def load(paths: Sequence[str | Path], data: str | Path | None = None) -> Loaded:
    """Load clause files with the engine's loader; proposed packs are assumed in force so
    that their rules are analysed too. Raises `PolicyError` as `load_files` does."""
    probe = load_files(list(paths), data=data)
    proposed = tuple(sorted(b.block.name for b in probe.checked.jurisdictions if b.proposed))
    loaded = load_files(list(paths), data=data, assume=proposed) if proposed else probe
    cwd = Path.cwd()
    names = version_names([Path(p) for p in paths])
    shown = {names[f]: _display(f, cwd) for f in clause_files(list(paths)) if f in names}
    return Loaded(loaded, proposed, shown)


def _walk(node: Any) -> Iterable[Any]:
    yield node
    if isinstance(node, ast.Expr | ast.Tier):
        for name in getattr(node, "__slots__", ()):
            value = getattr(node, name, None)
            if isinstance(value, ast.Expr | ast.Tier):
                yield from _walk(value)
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, ast.Expr | ast.Tier):
                        yield from _walk(item)


def _expressions(loaded: LoadedPolicy) -> Iterable[Any]:
    for checked in (*loaded.checked.contracts, *loaded.checked.jurisdictions):
        block = checked.block
        roots: list[Any] = [
            *block.applies,
            *checked.definitions.values(),
            *checked.parameters.values(),
        ]
        for provision in block.provisions:
            roots += [*provision.when, *provision.unless]
            for effect in provision.effects:
                for name in ("amount", "met"):
                    value = getattr(effect, name, None)
                    if isinstance(value, ast.Expr):
                        roots.append(value)
        for root in roots:
            yield from _walk(root)


def space_for(sets: Sequence[Loaded], licensees: Iterable[str] = ()) -> Space:
    """One symbolic use for every policy set in `sets` (so that both sides of a diff read
    the same variables)."""
    territory_sets: list[TerritorySet] = []
    codes: set[str] = set()
    purposes: set[str] = set()
    contexts: set[str] = set()
    facts: dict[str, Any] = {}
    currency = None
    names = set(licensees)
    for item in sets:
        checked = item.policy.checked
        registry = checked.vocabulary.territories
        purposes |= checked.vocabulary.purposes
        contexts |= checked.vocabulary.contexts
        facts.update(checked.vocabulary.facts)
        for block in (*checked.contracts, *checked.jurisdictions):
            if block.territory is not None:
                territory_sets.append(block.territory)
            if block.licensee:
                names.add(block.licensee)
        for node in _expressions(item.policy):
            if isinstance(node, ast.TerritoryLit):
                codes.add(node.code)
                territory_sets.append(registry.territory_set([node.code]))
            elif (
                isinstance(node, ast.SetLit)
                and node.items
                and all(isinstance(i, ast.TerritoryLit) for i in node.items)
            ):
                territory_sets.append(registry.territory_set(i.code for i in node.items))  # type: ignore[attr-defined]
            elif isinstance(node, ast.MoneyLit) and currency is None:
                currency = node.currency
    for code in list(codes):  # groups stand for their members, not for a code of their own
        if sets and sets[0].policy.checked.vocabulary.territories.is_group(code):
            codes.discard(code)
    codes.discard("worldwide")
    return Space(
        purposes=purposes,
        contexts=contexts,
        territories=territory_classes(territory_sets, codes),
        licensees=names,
        facts=facts,
        currency=currency or DEFAULT_CURRENCY,
    )


def encoder_for(space: Space, loaded: Loaded, atoms: dict[str, Atom]) -> Encoder:
    """The encoding of a loaded policy set over `space`."""
    policy = loaded.policy
    return Encoder(space, policy.checked, policy.policy_set.compiled, policy.policy_set.data, atoms)
