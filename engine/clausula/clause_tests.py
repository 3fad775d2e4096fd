"""`clausula test`: test cases for clause files, in YAML files next to them.

A test file is `NAME.test.yaml` (or `.test.yml`), usually next to `NAME.clause`:

```yaml
policies: aria-optin.clause   # the policy set: a clause file or a directory (default below)
data: ../data                 # the data it assumes (default: the policy set's data/)
assume: []                    # proposed laws treated as enacted
cases:
  - name: Training with every performer's consent
    use: ../uses/02-optin-training.json     # a JSON file, or the use written inline
    expect:
      decision: pay
      payments:                             # all of them: each payee, amount (currency, rule)
        - {payee: party:example-label, amount: "1500.00", rule: aria-optin-2026 §4.1}
      obligations: [aria-optin-2026 §6.1]   # these must be among them ([] means none)
      reasons:                              # these must be among them
        - {effect: consent-met, rule: aria-optin-2026 §3.1}
  - name: Revenue in another currency than the floor
    use: {date: 2026-09-01, licensee: party:aria-labs, purpose: generation, territory: DE,
          metrics: {revenue: {amount: "10.00", currency: EUR}}}
    error: cannot compare amounts    # the use cannot be decided, with this in the message
```

Paths are relative to the test file. Without `policies`, the policy set is the nearest
directory at or above the test file that has a `data/` directory (as `policies/` does), or
else the test file's own directory. A case may name its own `data` directory.

Payments are compared as a whole (every payment must be expected); obligations and
reasons only need to include what is expected, so that a new law adding a duty does not
break a contract's tests. A clause or rule is *exercised* when its effect or exception
shows in a decision: a reason, a payment or an obligation under its name, or a clause
that sets another aside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from . import safe_yaml
from .diagnostics import PolicyError, Span
from .errors import ClausulaError
from .json_input import JSONProblems, load_json
from .kinds import DENYING
from .models import Decision
from .policy_set import PolicySet, file_of, load
from .use_input import UseError

TEST_SUFFIXES = (".test.yaml", ".test.yml")


class TestFileError(ClausulaError):
    """A test file that cannot be read or does not say what it must; `span` says where."""

    def __init__(self, span: Span, message: str) -> None:
        super().__init__(message)
        self.span, self.message = span, message

    def __str__(self) -> str:
        return f"{self.span}: {self.message}"


@dataclass
class CaseResult:
    """The outcome of one case: passed, or the differences (or the error) that failed it."""

    name: str
    source: str  # path:line:column of the case in its test file
    differences: list[str] = field(default_factory=list)
    error: str | None = None
    decision: Decision | None = None

    @property
    def passed(self) -> bool:
        """True when the decision was made and matched every expectation."""
        return self.error is None and not self.differences

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON data."""
        return {
            "name": self.name,
            "source": self.source,
            "passed": self.passed,
            "differences": self.differences,
            "error": self.error,
            "decision": self.decision.decision if self.decision else None,
        }


@dataclass
class FileResult:
    """The outcome of one test file: its cases, or why it could not be run."""

    path: str
    cases: list[CaseResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "path:line:col: sentence"

    @property
    def passed(self) -> bool:
        """True when the file ran and every case passed."""
        return not self.errors and all(case.passed for case in self.cases)


@dataclass(frozen=True)
class Provision:
    """A clause or rule that coverage counts."""

    rule: str
    title: str | None
    source: str  # path:line:column, relative to the working directory when possible
    file: str


@dataclass
class Coverage:
    """Which clauses and rules the cases exercised."""

    provisions: list[Provision] = field(default_factory=list)
    exercised: set[str] = field(default_factory=set)  # sources of exercised provisions

    @property
    def missed(self) -> list[Provision]:
        """Provisions no case exercised, in file order."""
        return [p for p in self.provisions if p.source not in self.exercised]

    def by_file(self) -> list[tuple[str, int, int, list[Provision]]]:
        """(clause file, provisions, exercised, missed) per file."""
        files: dict[str, list[Provision]] = {}
        for provision in self.provisions:
            files.setdefault(provision.file, []).append(provision)
        return [
            (
                name,
                len(items),
                sum(1 for p in items if p.source in self.exercised),
                [p for p in items if p.source not in self.exercised],
            )
            for name, items in files.items()
        ]

    def to_json(self) -> dict[str, Any]:
        """The coverage as plain JSON data."""
        return {
            "provisions": len(self.provisions),
            "exercised": len(self.provisions) - len(self.missed),
            "files": [
                {
                    "path": name,
                    "provisions": total,
                    "exercised": done,
                    "missed": [
                        {"rule": p.rule, "title": p.title, "source": p.source} for p in missed
                    ],
                }
                for name, total, done, missed in self.by_file()
            ],
        }


@dataclass
class RunResult:
    """Everything `clausula test` found."""

    files: list[FileResult] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def passed(self) -> bool:
        """True when every file ran and every case passed."""
        return all(f.passed for f in self.files)

    def counts(self) -> tuple[int, int]:
        """(cases, failed cases)."""
        cases = [c for f in self.files for c in f.cases]
        return len(cases), sum(1 for c in cases if not c.passed)

    def to_json(self, coverage: bool = False) -> dict[str, Any]:
        """The results (and the coverage, if asked) as plain JSON data."""
        total, failed = self.counts()
        out: dict[str, Any] = {
            "passed": self.passed,
            "cases": total,
            "failed": failed,
            "files": [
                {
                    "path": f.path,
                    "passed": f.passed,
                    "errors": f.errors,
                    "cases": [c.to_json() for c in f.cases],
                }
                for f in self.files
            ],
        }
        if coverage:
            out["coverage"] = self.coverage.to_json()
        return out


# ----------------------------------------------------------------- reading test files


class _Loader(safe_yaml.SafeLoader):
    """Remembers the line and column of every mapping, to point at a case."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _Located:
    loader.flatten_mapping(node)
    result = _Located(loader.construct_mapping(node, deep=True))
    result.line = node.start_mark.line + 1
    result.column = node.start_mark.column + 1
    return result


class _Located(dict[Any, Any]):
    line = 0
    column = 0


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def test_files(paths: Sequence[str | Path]) -> list[Path]:
    """The test files named, or found under the directories named, in a stable order.

    A `.clause` file stands for the test file next to it, if there is one.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(TEST_SUFFIXES))
            )
        elif path.suffix == ".clause":
            for suffix in TEST_SUFFIXES:
                sibling = path.with_name(path.name[: -len(".clause")] + suffix)
                if sibling.is_file():
                    found.append(sibling)
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _policy_root(test_file: Path) -> Path:
    for directory in (test_file.parent.resolve(), *test_file.parent.resolve().parents):
        if (directory / "data").is_dir():
            return directory
    return test_file.parent


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass
class _PolicyKey:
    policies: Path
    data: Path | None
    assume: tuple[str, ...]

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (str(self.policies), str(self.data), self.assume)


class Runner:
    """Runs test files; loads each policy set once and keeps the coverage over all runs."""

    def __init__(self) -> None:
        self._sets: dict[tuple[str, str, tuple[str, ...]], PolicySet | list[str]] = {}
        self.coverage = Coverage()
        self._known: set[str] = set()
        self._labels: dict[tuple[str, str], str] = {}  # (set key, rule label) → source
        self._places: dict[tuple[str, str], str] = {}  # (set key, engine's source) → source

    def run(self, paths: Sequence[str | Path]) -> RunResult:
        """Run every test file under `paths`."""
        result = RunResult(coverage=self.coverage)
        for path in test_files(paths):
            result.files.append(self.run_file(path))
        return result

    # ------------------------------------------------------------- policy sets
    def _policy_set(self, spec: _PolicyKey) -> PolicySet | list[str]:
        key = spec.key()
        if key not in self._sets:
            try:
                loaded: PolicySet | list[str] = load(
                    spec.policies, data=spec.data, assume=list(spec.assume)
                )
            except PolicyError as error:
                loaded = [d.render() for d in error.diagnostics] or ["the policies have errors"]
            except (OSError, UnicodeDecodeError, ValueError) as error:
                loaded = [f"{spec.policies}: cannot be loaded: {error}"]
            self._sets[key] = loaded
            if isinstance(loaded, PolicySet):
                self._register(loaded, spec, key)
        return self._sets[key]

    def _register(self, policy_set: PolicySet, spec: _PolicyKey, key: Any) -> None:
        root = spec.policies
        compiled = policy_set.compiled
        blocks = [*compiled.jurisdictions]
        for contracts in compiled.contracts_by_licensee.values():
            blocks.extend(contracts)
        for block in blocks:
            for provision in block.provisions:
                file, _, position = provision.source.rpartition(":")
                file, _, line = file.rpartition(":")
                on_disk = file_of(file, root)
                shown = _display(on_disk) if on_disk is not None else file
                source = f"{shown}:{line}:{position}"
                self._labels[(str(key), provision.label)] = source
                self._places[(str(key), provision.source)] = source
                if source not in self._known:
                    self._known.add(source)
                    self.coverage.provisions.append(
                        Provision(provision.label, provision.title, source, shown)
                    )
        self.coverage.provisions.sort(key=_provision_order)

    def _exercise(self, key: Any, decision: Decision) -> None:
        labels = self._labels
        names = [p.rule for p in decision.payments] + [o.rule for o in decision.obligations]
        for reason in decision.reasons:
            if reason.effect == "set-aside":
                # The clause that sets another aside is the one at the reason's source.
                setter = self._places.get((str(key), reason.source or ""))
                if setter is not None:
                    self.coverage.exercised.add(setter)
            else:
                names.append(reason.rule)
        for name in names:
            source = labels.get((str(key), name))
            if source is not None:
                self.coverage.exercised.add(source)

    # ------------------------------------------------------------- one file
    def run_file(self, path: Path) -> FileResult:
        """Run the cases of one test file."""
        shown = _display(path)
        result = FileResult(shown)
        try:
            spec, cases = self._read(path, shown)
        except TestFileError as error:
            result.errors.append(str(error))
            return result
        for case in cases:
            result.cases.append(self._run_case(path, shown, spec, case))
        return result

    def _read(self, path: Path, shown: str) -> tuple[_PolicyKey, list[_Located]]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TestFileError(Span(shown, 0, 0), "there is no such test file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise TestFileError(Span(shown, 0, 0), f"cannot be read: {error}") from None
        try:
            document = safe_yaml.load(text, _Loader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = getattr(error, "problem", None) or "it is not valid YAML"
            raise TestFileError(Span(shown, line, column), f"not valid YAML: {problem}") from None
        if not isinstance(document, _Located):
            raise TestFileError(
                Span(shown, 1, 1),
                "a test file is a mapping with `cases:` (and optionally "
                "`policies:`, `data:`, `assume:`)",
            )
        unknown = sorted(set(map(str, document)) - {"policies", "data", "assume", "cases"})
        if unknown:
            raise TestFileError(
                _at(shown, document),
                f"unknown key `{unknown[0]}`; a test file has policies, data, assume and cases",
            )
        base = path.parent
        policies = (
            base / str(document["policies"]) if "policies" in document else _policy_root(path)
        )
        if not policies.exists():
            raise TestFileError(
                _at(shown, document), f"the policies {_display(policies)} do not exist"
            )
        data = base / str(document["data"]) if document.get("data") is not None else None
        assume = document.get("assume") or []
        if not isinstance(assume, list) or not all(isinstance(a, str) for a in assume):
            raise TestFileError(_at(shown, document), "`assume` is a list of pack names")
        cases = document.get("cases")
        if not isinstance(cases, list) or not cases:
            raise TestFileError(_at(shown, document), "`cases` must be a list of test cases")
        for index, case in enumerate(cases, start=1):
            if not isinstance(case, _Located):
                raise TestFileError(
                    _at(shown, document), f"case {index} must be a mapping with `use` and `expect`"
                )
        return _PolicyKey(policies, data, tuple(assume)), cases

    def _run_case(self, path: Path, shown: str, spec: _PolicyKey, case: _Located) -> CaseResult:
        name = str(case.get("name") or f"case at line {case.line}")
        result = CaseResult(name, f"{shown}:{case.line}:{case.column}")
        unknown = sorted(set(map(str, case)) - {"name", "use", "data", "expect", "error"})
        if unknown:
            result.error = (
                f"unknown key `{unknown[0]}`; a case has name, use, data, and expect or error"
            )
            return result
        if case.get("data") is not None:
            spec = _PolicyKey(spec.policies, path.parent / str(case["data"]), spec.assume)
        if spec.data is not None and not spec.data.is_dir():
            result.error = f"the data directory {_display(spec.data)} does not exist"
            return result
        try:
            use = _use(case.get("use"), path.parent)
        except ValueError as error:
            result.error = str(error)
            return result
        expect = case.get("expect")
        wanted_error = case.get("error")
        if wanted_error is not None:
            expect = {}
        if not isinstance(expect, Mapping):
            result.error = (
                "the case has no `expect:` mapping (decision, payments, obligations, reasons)"
            )
            return result
        unknown = sorted(
            set(map(str, expect)) - {"decision", "payments", "totals", "obligations", "reasons"}
        )
        if unknown:
            result.error = (
                f"unknown expectation `{unknown[0]}`; expect decision, payments, totals, "
                "obligations or reasons"
            )
            return result
        loaded = self._policy_set(spec)
        if isinstance(loaded, list):
            result.error = "the policies have errors:\n" + "\n".join(loaded)
            return result
        try:
            decision = loaded.decide(use)
        except (UseError, ValueError, TypeError) as error:
            if isinstance(error, UseError):
                problems = "; ".join(
                    (f"{p.pointer}: " if p.pointer else "") + p.message for p in error.problems
                )
            else:
                problems = str(error)
            if wanted_error is not None and str(wanted_error) in problems:
                return result
            if wanted_error is not None:
                result.differences.append(
                    f"error: expected one saying {str(wanted_error)!r}, got: {problems}"
                )
            else:
                result.error = f"the use cannot be decided: {problems}"
            return result
        if wanted_error is not None:
            result.decision = decision
            result.differences.append(
                f"error: expected one saying {str(wanted_error)!r}, but the use was decided: "
                f"{decision.decision}"
            )
            return result
        result.decision = decision
        self._exercise(spec.key(), decision)
        result.differences = compare(expect, decision)
        return result


def _at(shown: str, node: _Located) -> Span:
    return Span(shown, node.line or 1, node.column or 1)


def _provision_order(p: Provision) -> tuple[str, int, int]:
    _, line, column = p.source.rsplit(":", 2)
    return (p.file, int(line), int(column))


def _use(value: Any, base: Path) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        path = base / value
        try:  # the one reader of uses: limits on depth and numbers, no duplicate keys
            data = load_json(path.read_text(encoding="utf-8"))
        except JSONProblems as error:
            raise ValueError(f"the use file {_display(path)}: {error}") from None
        except FileNotFoundError:
            raise ValueError(f"the use file {_display(path)} does not exist") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"the use file {_display(path)} cannot be read: {error}") from None
        if not isinstance(data, dict):
            raise ValueError(f"the use file {_display(path)} must hold one JSON object")
        return data
    raise ValueError("the case has no `use:` (a JSON file, or the use written inline)")


# ----------------------------------------------------------------- comparing


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _payment_text(p: Mapping[str, Any]) -> str:
    money = f"{p.get('amount', '?')} {p.get('currency', '')}".rstrip()
    rule = f" ({p['rule']})" if p.get("rule") else ""
    return f"{p.get('payee', '?')} {money}{rule}"


def _payment_matches(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    for key, value in expected.items():
        if key == "amount":
            if _amount(value) is None or _amount(value) != _amount(actual.get("amount")):
                return False
        elif str(value) != str(actual.get(key)):
            return False
    return True


def _match_all(
    expected: Iterable[Mapping[str, Any]], actual: list[dict[str, Any]], matches: Any
) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]]]:
    """(expected with no actual, actual with no expected), pairing each item once."""
    left = list(actual)
    missing: list[Mapping[str, Any]] = []
    for item in expected:
        for index, candidate in enumerate(left):
            if matches(item, candidate):
                del left[index]
                break
        else:
            missing.append(item)
    return missing, left


def _as_mappings(value: Any, key: str) -> list[Mapping[str, Any]]:
    """Expected items: mappings, or plain strings naming the rule."""
    if not isinstance(value, list):
        value = [value]
    return [item if isinstance(item, Mapping) else {key: str(item)} for item in value]


def compare(expect: Mapping[str, Any], decision: Decision) -> list[str]:
    """How `decision` differs from what the case expects: one sentence per difference."""
    out: list[str] = []
    if "decision" in expect and str(expect["decision"]) != decision.decision:
        why = [f"{r.effect} {r.rule}: {r.message}" for r in decision.reasons if r.effect in DENYING]
        because = f" ({'; '.join(why)})" if why and decision.decision == "deny" else ""
        out.append(f"decision: expected {expect['decision']}, got {decision.decision}{because}")
    if "payments" in expect:
        actual = [p.model_dump(mode="json") for p in decision.payments]
        expected = _as_mappings(expect["payments"] or [], "payee")
        missing, extra = _match_all(expected, actual, _payment_matches)
        for item in missing:
            out.append(f"payments: expected {_payment_text(item)}, not paid")
        for item in extra:
            out.append(f"payments: unexpected {_payment_text(item)}; basis: {item['basis']}")
    if "totals" in expect:
        actual = [t.model_dump(mode="json") for t in decision.totals]
        expected = _as_mappings(expect["totals"] or [], "amount")
        missing, extra = _match_all(expected, actual, _payment_matches)
        for item in missing:
            out.append(f"totals: expected {item.get('amount')} {item.get('currency', '')}".rstrip())
        for item in extra:
            out.append(f"totals: unexpected {item['amount']} {item['currency']}")
    for key, field_name in (("obligations", "rule"), ("reasons", "rule")):
        if key not in expect:
            continue
        items = getattr(decision, key)
        actual = [item.model_dump(mode="json") for item in items]
        expected = _as_mappings(expect[key] or [], field_name)
        if not expected and actual:
            listed = ", ".join(f"{a.get('effect', 'oblige')} {a['rule']}" for a in actual)
            out.append(f"{key}: expected none, got {listed}")
        missing, _ = _match_all(expected, actual, _item_matches)
        for item in missing:
            what = ", ".join(f"{k} {v!s}" for k, v in item.items())
            present = "; ".join(
                " ".join(str(a.get(k, "")) for k in ("effect", "rule") if k in a) for a in actual
            )
            out.append(f"{key}: expected {what}; the decision has {present or 'none'}")
    return out


def _item_matches(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    for key, value in expected.items():
        have = actual.get(key)
        if key in ("message", "text"):
            if str(value) not in str(have):
                return False
        elif str(value) != str(have):
            return False
    return True
