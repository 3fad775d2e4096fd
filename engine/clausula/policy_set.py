"""The public entry points: `load` a policy set, `check` clause files, `PolicySet.decide`.

Loading runs the whole pipeline once — text → AST → checked policy → compiled policy —
and reads the data files; deciding then only runs compiled closures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import ast
from .catalogue import DataSet, load_data
from .checker import CheckedPolicy, check_policy
from .collector import KEPT_PER_PAUSE, collector_paused
from .compiled import CompiledPolicy
from .compiler import compile_policy
from .consent import ConsentLedger, DatedConsentLedger
from .context import Context
from .decide import Records, planned
from .diagnostics import Diagnostic, DiagnosticSink, PolicyError, Span, did_you_mean
from .models import Decision, Use
from .parser import parse
from .plain_use import PlainRequest, facts_of
from .plan_memo import PlanMemo
from .plans import Plan
from .pricing import Outcome, plan_refusal, price, price_outcome, refusal, refused
from .territory import TerritorySet
from .use_input import read_use

if TYPE_CHECKING:
    from .batch.analysis import Analysis

CLAUSE_SUFFIX = ".clause"
SET_PREFIX = "policies"
DATA_PREFIX = "data"  # the data files, in the version: `data/<file name>`
"""Every file of a policy set loaded with `load` is named `policies/<its path inside the
policies directory>` in sources and in the version, whatever the directory is called and
wherever it sits: the same files give the same names, the same version, the same decisions."""


class PolicySet:
    """A loaded, checked and compiled policy set. Immutable; safe to share between threads."""

    __slots__ = (
        "_checked",
        "_compiled",
        "_per_thread",
        "_plans",
        "_records",
        "analysis",
        "assumed",
        "contracts",
        "data",
        "jurisdictions",
        "version",
    )

    def __init__(
        self,
        compiled: CompiledPolicy,
        records: Records,
        data: DataSet,
        checked: CheckedPolicy | None = None,
    ) -> None:
        self._checked = checked
        self._compiled = compiled
        # What batch calls keep between calls, one per thread (`batch.outcomes`): caches
        # of pure functions of this immutable set, never shared between threads.
        self._per_thread = threading.local()
        self._records = records
        #: What the clauses read of a use (`batch.analysis`), from the checked text: None
        #: without it. The batch core groups uses by it; the plan memo is kept by it.
        self.analysis = _analysis(checked)
        # Plans shared by uses alike but for their id, metrics and weights (`plan_memo`);
        # where conditions read the metrics or weights, by uses alike but for their id.
        analysis = self.analysis
        self._plans = (
            PlanMemo(compiled, records, figures=analysis.metrics_in_conditions)
            if analysis is not None and not analysis.reads_id
            else None
        )
        self.data = data
        self.version = records.version
        self.assumed = records.assumed
        self.contracts: tuple[str, ...] = compiled.contract_names
        self.jurisdictions: tuple[str, ...] = tuple(j.name for j in compiled.jurisdictions)

    @property
    def compiled(self) -> CompiledPolicy:
        """The compiled policy (for tools such as simulations and explanations)."""
        return self._compiled

    @property
    def checked(self) -> CheckedPolicy | None:
        """The checked clause text the policy was compiled from, when the batch core may
        group uses by reading it (`clausula.load` without a `ledger`); else None."""
        return self._checked

    @property
    def vocabulary(self) -> Any:
        """The purposes, contexts, territory groups and facts the policy set declares: give
        it to `parse_use` (or `read_uses`) to check a use's names with its other fields."""
        return self._compiled.vocabulary

    def decide(self, use: Use | Mapping[str, Any]) -> Decision:
        """Decide one use. Raises `UseError` with every problem when the use is wrong."""
        return self._decided(read_use(use, self._compiled.vocabulary))

    def decide_outcome(self, use: Use | Mapping[str, Any]) -> Outcome:
        """Decide one use in the compact form: the same decision, rounded payments, totals
        and denying rules as `decide`, without the reasons' texts and the `Decision` model —
        for pipelines that store or sum answers (docs/python.md, "Which call to use").
        Raises `UseError` as `decide` does."""
        parsed = read_use(use, self._compiled.vocabulary)
        plan, ctx, facts = self._plan_of(parsed)
        if not plan.licensed:
            # A denial reads nothing of the use: no context. Its refusal is remembered only
            # for a plan the memo remembers (`ctx` None): a plan made for this use alone
            # would fill the memory of refusals with answers never asked again.
            return plan_refusal(plan) if ctx is None else refusal(plan.reasons)
        return price_outcome(plan, self._context(parsed, ctx, facts))

    def decide_many(self, uses: Iterable[Use | Mapping[str, Any]]) -> list[Decision]:
        """Decide many uses in order (the policy is compiled once for all of them)."""
        vocabulary = self._compiled.vocabulary
        decided: list[Decision] = []
        given = iter(uses)
        while True:  # the collector paused a chunk at a time (`collector.KEPT_PER_PAUSE`)
            before = len(decided)
            with collector_paused():
                for use in islice(given, KEPT_PER_PAUSE):
                    decided.append(self._decided(read_use(use, vocabulary)))
            if len(decided) - before < KEPT_PER_PAUSE:
                return decided

    def _decided(self, use: Use | PlainRequest) -> Decision:
        """The decision of a validated use: `price` of its plan, or for a plan that does not
        license it `refused`, which is what `price` gives then, without making the use's
        context when the plan memo remembered the plan (nor ever, for a plain request, its
        `Use`)."""
        plan, ctx, facts = self._plan_of(use)
        if not plan.licensed:
            return refused(plan, use.id)
        # not `price(*…)`: compiled, a call with its arguments is direct
        return price(plan, self._context(use, ctx, facts))

    def _plan_of(self, use: Use | PlainRequest) -> tuple[Plan, Context | None, Mapping[str, Any]]:
        """The plan of a validated use, the context its planning made (None: the plan memo
        remembered the plan) and the use's facts — through the memo when the set has one."""
        memo = self._plans
        if memo is not None:
            return memo.plan_of(use)
        compiled = self._compiled
        made, ctx = planned(compiled, self._records, use, facts_of(use, compiled.vocabulary))
        return made, ctx, ctx.facts

    def _context(
        self, use: Use | PlainRequest, ctx: Context | None, facts: Mapping[str, Any]
    ) -> Context:
        """`ctx`, or when planning made none (a remembered plan) the use's context."""
        return ctx if ctx is not None else Context(use, self._records.catalogue, facts)


def _analysis(checked: CheckedPolicy | None) -> Analysis | None:
    """`batch.analysis.analyse` of the checked clauses, once per policy set."""
    if checked is None:
        return None
    # Imported here: the batch core imports this module.
    from .batch.analysis import analyse

    return analyse(checked)


def version_names(paths: Sequence[str | Path]) -> dict[Path, str]:
    """Each clause file of `clause_files(paths)` named by its place under the path that
    found it (a directory: its path inside it; a file: its name) — never by where the
    directories sit — for `version_of`."""
    names: dict[Path, str] = {}
    for raw in paths:
        for path in clause_files([raw]):
            names.setdefault(path, set_name(path, Path(raw)))
    return names


def clause_files(paths: Sequence[str | Path]) -> list[Path]:
    """The `.clause` files named, or found under the directories named, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{CLAUSE_SUFFIX}") if p.is_file()))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _base(root: Path) -> Path:
    """The directory whose files a policy set names: `root`, or the folder of a lone file."""
    return root if root.is_dir() else root.parent


def set_name(path: Path, root: Path) -> str:
    """The name of `path`, a file of the policy set loaded from `root`: `policies/` and its
    path inside `root` (a lone clause file: its file name)."""
    try:
        inside = path.resolve().relative_to(_base(root).resolve()).as_posix()
    except ValueError:  # pragma: no cover - every file of a set is found under its root
        inside = path.name
    return f"{SET_PREFIX}/{inside}"


def file_of(name: str, root: str | Path) -> Path | None:
    """The file on disk that `set_name` called `name`, in the set loaded from `root`; None
    for a name that is not a file of the set (the standard vocabulary)."""
    prefix = SET_PREFIX + "/"
    if not name.startswith(prefix):
        return None
    inside = Path(name[len(prefix) :])
    if inside.is_absolute() or ".." in inside.parts:
        return None
    return _base(Path(root)) / inside


def shown_from_cwd(diagnostics: Iterable[Diagnostic], names: Mapping[str, str]) -> list[Diagnostic]:
    """`diagnostics` with each file named as it is reached from the current directory
    (`names`: set name → that path), so that an author can open the place shown."""
    return [
        dataclasses.replace(d, span=d.span._replace(path=names[d.span.path]))
        if d.span.path in names
        else d
        for d in diagnostics
    ]


def _standard_vocabulary() -> tuple[str, str]:
    shipped = resources.files("clausula").joinpath("vocabulary/standard.clause")
    if shipped.is_file():
        return "<standard vocabulary>", shipped.read_text(encoding="utf-8")
    repo = Path(__file__).resolve().parents[2] / "policies" / "vocabulary.clause"
    return "<standard vocabulary>", repo.read_text(encoding="utf-8")


def load_data_alone(directory: Path) -> tuple[DataSet | None, list[Diagnostic]]:
    """The data files of `directory` read without a policy set, against the standard
    vocabulary (for a simulation's catalogue, or the party names of a rendering)."""
    name, text = _standard_vocabulary()
    source, _ = parse(text, name)
    vocabulary = check_policy([source], DiagnosticSink()).vocabulary
    return load_data(
        directory,
        purposes=vocabulary.purposes,
        territory_problem=vocabulary.territories.problem,
        display_root=Path.cwd(),
    )


def _parse_all(
    files: Sequence[Path], name_of: Callable[[Path], str], sink: DiagnosticSink
) -> tuple[list[ast.SourceFile], list[tuple[str, bytes]]]:
    sources: list[ast.SourceFile] = []
    contents: list[tuple[str, bytes]] = []
    for path in files:
        shown = name_of(path)
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except FileNotFoundError:
            sink.error(Span(shown, 1, 1), f"there is no file {shown}")
            continue
        except IsADirectoryError:
            sink.error(Span(shown, 1, 1), f"{shown} is a directory, not a clause file")
            continue
        except UnicodeDecodeError as error:
            sink.error(Span(shown, 1, 1), f"{shown} is not UTF-8 text (byte {error.start})")
            continue
        except OSError as error:
            sink.error(Span(shown, 1, 1), f"{shown} cannot be read: {error.strerror}")
            continue
        source, diagnostics = parse(text, shown)
        sink.add_source(shown, text)
        sink.extend(diagnostics)
        sources.append(source)
        contents.append((shown, raw))
    if not any(b.kind == "vocabulary" for s in sources for b in s.blocks):
        name, text = _standard_vocabulary()
        source, diagnostics = parse(text, name)
        sink.extend(diagnostics)
        sources.insert(0, source)
        contents.append((name, text.encode("utf-8")))
    return sources, contents


def _check(
    paths: Sequence[Path], display_root: Path | Callable[[Path], str]
) -> tuple[CheckedPolicy, list[tuple[str, bytes]], DiagnosticSink]:
    """Parse and check `paths`, each named relative to `display_root` (or by a function)."""
    sink = DiagnosticSink()
    if isinstance(display_root, Path):
        root = display_root
        name_of: Callable[[Path], str] = lambda path: _display(path, root)  # noqa: E731
    else:
        name_of = display_root
    sources, contents = _parse_all(paths, name_of, sink)
    checked = check_policy(sources, sink)
    return checked, contents, sink


def check(paths: Sequence[str | Path]) -> list[Diagnostic]:
    """Parse and check clause files (or directories of them); every problem found.

    Files are checked together, as one policy set; when none of them declares a
    vocabulary, the standard vocabulary is used.
    """
    files = clause_files(paths)
    with collector_paused():
        _, _, sink = _check(files, Path.cwd())
    return sink.sorted()


def check_sources(sources: Mapping[str, str]) -> list[Diagnostic]:
    """Like `check`, for clause texts held in memory: `{display name: text}`.

    The names only label the diagnostics; no file is read. Used by `POST /v1/check`.
    """
    return analyse_sources(sources)[1]


def analyse_sources(sources: Mapping[str, str]) -> tuple[CheckedPolicy, list[Diagnostic]]:
    """`check_sources`, also returning what the checker made of the texts.

    The checked policy holds the parsed files (the standard vocabulary first when none of
    the texts declares a vocabulary) and the static type of every expression checked. For
    tools that read the policy as well as its problems, such as the language server.
    """
    sink = DiagnosticSink()
    parsed: list[ast.SourceFile] = []
    for name, text in sources.items():
        source, diagnostics = parse(text, name)
        sink.add_source(name, text)
        sink.extend(diagnostics)
        parsed.append(source)
    if not any(b.kind == "vocabulary" for s in parsed for b in s.blocks):
        name, text = _standard_vocabulary()
        source, diagnostics = parse(text, name)
        sink.extend(diagnostics)
        parsed.insert(0, source)
    checked = check_policy(parsed, sink)
    return checked, sink.sorted()


def checked_parameters(
    checked: CheckedPolicy, parameters: Mapping[str, Mapping[str, object]] | None
) -> dict[str, dict[str, Any]]:
    """Parameter overrides validated as a scenario file's are (`clausula.overrides.resolve`)
    and in runtime form; raises `PolicyError` with one diagnostic per problem."""
    from .overrides import OverrideError, resolve

    if not parameters:
        return {}
    try:
        return resolve(checked, parameters)
    except OverrideError as error:
        raise PolicyError(
            [Diagnostic(Span("parameters", 0, 0), problem) for problem in error.problems]
        ) from None


def version_of(contents: Iterable[tuple[str, bytes]]) -> str:
    """`sha256:` over every policy and data file, by its name in the set (never by where
    the set sits on disk); the same files give the same hash."""
    digest = hashlib.sha256()
    for name, raw in sorted(contents):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(raw).digest())
    return "sha256:" + digest.hexdigest()


def assumptions(
    checked: CheckedPolicy, assume: Iterable[str], sink: DiagnosticSink
) -> dict[str, dt.date | None]:
    """The proposed laws to treat as enacted (`--assume`), each with its assumed enactment
    date or None; a diagnostic in `sink` for each name that is not a proposed pack."""
    known = {b.block.name for b in (*checked.contracts, *checked.jurisdictions)}
    proposed = {b.block.name for b in checked.jurisdictions if b.proposed}
    assumed: dict[str, dt.date | None] = {}
    for text in assume:
        name, enacted, problem = _assumption(text)
        if problem is None and name not in proposed:
            if name in known:
                problem = f"`{name}` is in force already; only proposed laws can be assumed"
            else:
                hint = did_you_mean(name, proposed)
                problem = f"there is no jurisdiction pack `{name}` to assume" + (
                    f"; {hint}" if hint else f" (proposed: {', '.join(sorted(proposed)) or 'none'})"
                )
        if problem is not None:
            sink.items.append(Diagnostic(Span("--assume", 0, 0), problem))
        else:
            assumed[name] = enacted
    return assumed


def records_of(
    checked: CheckedPolicy,
    dataset: DataSet,
    version: str,
    assumed: Mapping[str, dt.date | None],
) -> Records:
    """The records a compiled policy decides against: the data files' catalogue and
    grants (each grant's territories resolved when first needed), the version and
    assumptions."""
    return Records(
        catalogue=dataset,
        ledger=dataset.ledger,
        grant_territories=_GrantTerritories(
            dataset.grants, territory_resolver(checked.vocabulary.territories)
        ),
        version=version,
        assumed=assumed,
    )


def territory_resolver(registry: Any) -> Callable[[Any], TerritorySet]:
    """Where a grant applies, by `registry` (the vocabulary's territories): grants share a
    few territory lists, and each distinct one is resolved once."""
    resolved: dict[tuple[tuple[str, ...], tuple[str, ...]], TerritorySet] = {}

    def territories_of(grant: Any) -> TerritorySet:
        key = (tuple(grant.territories), tuple(grant.except_territories))
        found = resolved.get(key)
        if found is None:
            found = resolved[key] = registry.territory_set(*key)
        return found

    return territories_of


class _GrantTerritories(Mapping[str, TerritorySet]):
    """Grant id → where the grant applies, resolved on first lookup and kept (loading
    100,000 grants resolved every one of them before the first decision)."""

    def __init__(self, grants: Mapping[str, Any], resolve: Callable[[Any], TerritorySet]):
        self._grants = grants
        self._resolve = resolve
        self._seen: dict[str, TerritorySet] = {}

    def __getitem__(self, key: str) -> TerritorySet:
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._resolve(self._grants[key])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._grants)

    def __len__(self) -> int:
        return len(self._grants)


def no_clause_files(root: Path) -> str:
    """The sentence for a policies directory with no clause file in it."""
    return f"there are no .clause files in {root}: a policy set needs at least one"


def _assumption(text: str) -> tuple[str, dt.date | None, str | None]:
    """`us-nofakes-2026` or `us-nofakes-2026:enacted=2027-01-01` → name, date, problem."""
    name, _, option = text.partition(":")
    if not option:
        return name, None, None
    key, _, value = option.partition("=")
    if key != "enacted":
        return name, None, f"`{text}`: the only option of an assumed law is `enacted=YYYY-MM-DD`"
    try:
        return name, dt.date.fromisoformat(value), None
    except ValueError:
        return name, None, f"`{text}`: `{value}` is not a date such as 2027-01-01"


def _with_ledger(records: Records, ledger: ConsentLedger | str, registry: Any) -> Records:
    """`records` deciding consent against `ledger` (opened and its chain verified first if
    it is a URL: a broken chain raises `ChainBroken` here, not at the first decision)."""
    if isinstance(ledger, str):
        from .ledger import Ledger

        opened = Ledger(ledger)
        try:
            opened.verify_chain()
        except BaseException:
            opened.close()
            raise
        ledger = opened
    return dataclasses.replace(
        records,
        ledger=ledger,
        dated_ledger=ledger if isinstance(ledger, DatedConsentLedger) else None,
        territories_of=territory_resolver(registry),
    )


def _load_data(
    directory: Path,
    vocabulary: Any,
    clauses: list[tuple[str, bytes]],
    cache: str | Path | bool | None,
    cwd: Path,
    sink: DiagnosticSink,
) -> tuple[DataSet | None, list[tuple[str, bytes]]]:
    """The data set of `directory` (from the data cache when it holds these exact files)
    and the data files' bytes, named as in the version."""
    from . import data_cache
    from .catalogue import data_files

    where = data_cache.cache_dir(cache)
    contents: list[tuple[str, bytes]] = []
    key = None
    if where is not None and directory.is_dir():
        files = tuple(data_files(directory))
        contents = [(f"{DATA_PREFIX}/{path.name}", path.read_bytes()) for path in files]
        key = data_cache.cache_key([*clauses, *contents])
        cached = data_cache.read(where, key, files)
        if cached is not None:
            return cached, contents
    dataset, diagnostics = load_data(
        directory,
        purposes=vocabulary.purposes,
        territory_problem=vocabulary.territories.problem,
        display_root=cwd,
    )
    sink.extend(diagnostics)
    if dataset is None:
        return None, []
    if not contents:
        contents = [(f"{DATA_PREFIX}/{path.name}", path.read_bytes()) for path in dataset.files]
    elif where is not None and key is not None:
        data_cache.write(where, key, dataset)
    return dataset, contents


def load(
    policies: str | Path,
    *,
    data: str | Path | None = None,
    assume: Iterable[str] = (),
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    ledger: ConsentLedger | str | None = None,
    cache: str | Path | bool | None = None,
) -> PolicySet:
    """Load every `.clause` file under `policies` and the data files (default
    `policies/data`, if it exists), check them and compile them.

    Raises `PolicyError` with every problem found. `assume` names proposed laws to treat
    as enacted (for what-if questions). `parameters` overrides parameter values per
    contract or pack: `{"aria-optin-2026": {"artist_pool": Decimal("0.3")}}`.
    `ledger` decides consent against a consent ledger instead of the data files' grants:
    a `ConsentLedger` (a `clausula.ledger.Ledger` is read as of each use's date) or a
    ledger URL (`sqlite:///policies/consent.db`, `postgresql://…`); it raises
    `clausula.ledger.LedgerError` when that ledger cannot be opened, and its subclass
    `ChainBroken` when its hash chain is broken (with a key from `CLAUSULA_LEDGER_KEY`,
    also against the signed head). Every decision after raises `ChainBroken` if the chain
    is found broken later.

    `cache` is a directory in which to keep the checked data files (`clausula.data_cache`:
    a large catalogue then loads in seconds the next time); default: the directory named
    by `CLAUSULA_CACHE_DIR`, or none. `False`: no cache, whatever the environment says.
    """
    with collector_paused():
        return _load(policies, data, assume, parameters, ledger, cache)


def _load(
    policies: str | Path,
    data: str | Path | None,
    assume: Iterable[str],
    parameters: Mapping[str, Mapping[str, Any]] | None,
    ledger: ConsentLedger | str | None,
    cache: str | Path | bool | None = None,
) -> PolicySet:
    root = Path(policies)
    cwd = Path.cwd()
    if not root.exists():
        raise PolicyError(
            [Diagnostic(Span(str(root), 0, 0), f"there is no policy directory or file {root}")]
        )
    files = clause_files([root])
    if not files:
        raise PolicyError([Diagnostic(Span(str(root), 0, 0), no_clause_files(root))])
    names = {set_name(path, root): _display(path, cwd) for path in files}
    checked, contents, sink = _check(files, lambda path: set_name(path, root))
    data_dir = Path(data) if data is not None else (root / "data" if root.is_dir() else None)
    vocabulary = checked.vocabulary
    dataset: DataSet | None = DataSet({}, {}, {}, (), ())
    data_contents: list[tuple[str, bytes]] = []
    if data_dir is not None and (data is not None or data_dir.is_dir()):
        dataset, data_contents = _load_data(data_dir, vocabulary, contents, cache, cwd, sink)
    assumed = assumptions(checked, assume, sink)
    if sink.has_errors or dataset is None:
        raise PolicyError(shown_from_cwd(sink.sorted(), names))
    contents.extend(data_contents)
    compiled = compile_policy(checked, dataset, checked_parameters(checked, parameters))
    records = records_of(checked, dataset, version_of(contents), assumed)
    if ledger is not None:
        # Grants from a ledger change under the policy: the batch core does not group
        # uses over them (it has no `checked` policy to read), each is decided alone.
        records = _with_ledger(records, ledger, vocabulary.territories)
        return PolicySet(compiled, records, dataset)
    return PolicySet(compiled, records, dataset, checked)
