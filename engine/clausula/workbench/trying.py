"""Trying uses: decide a use against the draft policy set, explained, and re-decide every
saved use (the `uses/` files and the clause tests' cases) to show which answers a draft
changes — a live regression view.

The draft set is the policy directory with the edited file's text in place of the file,
loaded from a private copy in a temporary directory (the files on disk are untouched until
the author saves). Every place a decision names is given back relative to the policy
directory, so that the page can jump to the clause, and no temporary path is shown.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pycountry

from .. import safe_yaml
from ..diagnostics import Diagnostic, PolicyError
from ..explain import Explainer
from ..json_input import JSONProblems, load_json
from ..models import Decision, Use
from ..policy_set import PolicySet, file_of, load
from ..use_input import UseError, parse_use
from .files import MAX_FILE_BYTES, PolicyFiles

MAX_SAVED_USES = 500  # saved uses re-decided on each change of a draft


@contextmanager
def draft_directory(files: PolicyFiles, name: str | None, text: str | None) -> Iterator[Path]:
    """A private copy of the policy directory with `name` holding `text` (None: as on disk)."""
    with tempfile.TemporaryDirectory(prefix="clausula-workbench-") as temporary:
        copy = Path(temporary) / "policies"
        shutil.copytree(
            files.root,
            copy,
            ignore=shutil.ignore_patterns(".*", "scenarios", "*.db", "*.db-*"),
        )
        if name is not None and text is not None:
            target = copy / files.name_of(files.resolve(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield copy


class DraftSet:
    """A loaded draft policy set and what it says about uses."""

    def __init__(self, policy: PolicySet, copy: Path) -> None:
        self.policy = policy
        self.copy = copy
        self.explainer = Explainer(policy, copy)

    def place(self, source: str | None) -> dict[str, Any] | None:
        """`path:line:column` of a reason as a file of the policy directory and a line."""
        if not source:
            return None
        path, _, rest = source.rpartition(":")
        path, _, line = path.rpartition(":")
        on_disk = file_of(path, self.copy)  # reasons name files as the set does
        if on_disk is None or not line.isdigit() or not rest.isdigit():
            return None
        inside = on_disk.relative_to(self.copy).as_posix()
        return {"file": inside, "line": int(line), "column": int(rest)}

    def answer(self, use: Use) -> dict[str, Any]:
        """The decision about `use` for the page: the decision itself, the place of each
        reason, and the explanation in plain English."""
        decision = self.policy.decide(use)
        data = decision.model_dump(mode="json")
        for reason in data["reasons"]:
            reason["place"] = self.place(reason.get("source"))
            reason.pop("source", None)
        text = self.explainer.explain(use)
        return {
            "decision": data,
            "explanation": text.replace(str(self.copy) + "/", "").replace(str(self.copy), ""),
            "fingerprint": fingerprint(decision),
        }


def fingerprint(decision: Decision) -> str:
    """What a regression compares: the outcome, payments, totals and obligations."""
    payments = ";".join(f"{p.payee}={p.amount} {p.currency}" for p in decision.payments)
    duties = ",".join(sorted(o.rule for o in decision.obligations))
    return f"{decision.decision}|{payments}|{duties}"


@contextmanager
def draft_set(files: PolicyFiles, name: str | None, text: str | None) -> Iterator[DraftSet]:
    """The policy set with the draft in place; `PolicyError` when it has errors."""
    with draft_directory(files, name, text) as copy:
        try:
            policy = load(copy)
        except PolicyError as error:  # named as the files of the directory, not the copy
            raise PolicyError([_inside(d, copy) for d in error.diagnostics]) from None
        yield DraftSet(policy, copy)


def _inside(diagnostic: Diagnostic, copy: Path) -> Diagnostic:
    path = diagnostic.span.path
    for prefix in (str(copy) + "/", str(copy.resolve()) + "/", "policies/"):
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    return dataclasses.replace(diagnostic, span=diagnostic.span._replace(path=path))


# ----------------------------------------------------------------- saved uses


def saved_uses(files: PolicyFiles) -> list[dict[str, Any]]:
    """The uses kept in the policy directory: every `uses/*.json` file and every case of
    a clause test (`*.test.yaml`), each with a label and the use as JSON."""
    found: list[dict[str, Any]] = []
    for name in files.listing():
        if len(found) >= MAX_SAVED_USES:
            break
        if name.endswith(".json") and "uses/" in f"/{name}":
            try:
                found.append({"label": name, "use": load_json(files.read(name))})
            except (JSONProblems, ValueError):
                continue  # shown as a problem in the editor, not decided
        elif name.endswith((".test.yaml", ".test.yml")):
            found.extend(_test_cases(files, name))
    return found[:MAX_SAVED_USES]


def _test_cases(files: PolicyFiles, name: str) -> list[dict[str, Any]]:
    try:
        document = safe_yaml.load(files.read(name))
    except Exception:  # a broken test file: `clausula test` reports it
        return []
    cases = document.get("cases") if isinstance(document, dict) else None
    found: list[dict[str, Any]] = []
    for case in cases if isinstance(cases, list) else []:
        if not isinstance(case, dict) or "use" not in case:
            continue
        use = case["use"]
        if isinstance(use, str):
            target = (Path(name).parent / use).as_posix()
            try:
                use = load_json(files.read(_normal(target)))
            except Exception:
                continue
        if isinstance(use, dict):
            label = f"{name}: {case.get('name', 'a case')}"
            found.append({"label": label, "use": _plain(use)})
    return found


def _normal(name: str) -> str:
    """`contracts/../uses/x.json` → `uses/x.json` (still checked by `PolicyFiles.resolve`)."""
    parts: list[str] = []
    for part in name.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _plain(value: Any) -> Any:
    """YAML values as JSON would carry them (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def decide_saved(
    files: PolicyFiles, name: str | None, text: str | None, uses: list[dict[str, Any]]
) -> dict[str, Any]:
    """Every saved use decided by the files on disk and by the draft, marking the uses
    whose answer the draft changes."""
    results: list[dict[str, Any]] = []
    before = _decided_on_disk(files, uses)
    try:
        with draft_set(files, name, text) as draft:
            for index, item in enumerate(uses):
                row: dict[str, Any] = {"label": item["label"], "index": index}
                try:
                    use = parse_use(item["use"], draft.policy.vocabulary)
                    answer = draft.answer(use)
                except UseError as error:
                    row["error"] = str(error)
                else:
                    row.update(answer)
                    row["changed"] = index in before and before[index] != answer["fingerprint"]
                results.append(row)
    except PolicyError as error:
        return {"ok": False, "problems": [d.render() for d in error.diagnostics[:20]]}
    return {"ok": True, "results": results}


_ON_DISK: dict[str, dict[int, str]] = {}  # the last answers of the files as saved


def _decided_on_disk(files: PolicyFiles, uses: list[dict[str, Any]]) -> dict[int, str]:
    """The answer of the files on disk to each saved use, kept while the files are unchanged."""
    key = hashlib.sha256()
    for name in files.listing():
        key.update(name.encode() + b"\0" + files.read(name).encode() + b"\0")
    version = f"{files.root}:{key.hexdigest()}"
    if version not in _ON_DISK:
        before: dict[int, str] = {}
        try:
            with draft_set(files, None, None) as saved:
                for index, item in enumerate(uses):
                    try:
                        before[index] = fingerprint(saved.policy.decide(parse_use(item["use"])))
                    except UseError:
                        continue
        except PolicyError:
            pass  # the files on disk have errors: nothing to compare with
        _ON_DISK.clear()  # one version kept: the one on disk now
        _ON_DISK[version] = before
    return _ON_DISK[version]


def decide_one(files: PolicyFiles, name: str | None, text: str | None, use: Any) -> dict[str, Any]:
    """One use (as JSON) decided and explained by the draft set."""
    try:
        with draft_set(files, name, text) as draft:
            try:
                parsed = parse_use(use, draft.policy.vocabulary)
            except UseError as error:
                return {
                    "ok": False,
                    "problems": [f"{p.pointer or '/'}: {p.message}" for p in error.problems],
                }
            return {"ok": True, **draft.answer(parsed)}
    except PolicyError as error:
        return {"ok": False, "problems": [d.render() for d in error.diagnostics[:20]]}


# ----------------------------------------------------------------- the form


def form_choices(files: PolicyFiles) -> dict[str, Any]:
    """What the use form offers to pick from: the schema of a use, the vocabulary's
    purposes and contexts, territories (ISO codes and the set's groups), the catalogue's
    works and parties, and the licensees the contracts name."""
    schema = Use.model_json_schema()
    choices: dict[str, Any] = {"schema": schema}
    try:
        with draft_set(files, None, None) as saved:
            policy = saved.policy
            vocabulary = policy.vocabulary
            groups = sorted(vocabulary.territories.groups)
            works = [{"id": w.id, "label": w.title} for w in policy.data.works.values()]
            parties = [
                {"id": p.id, "label": f"{p.name} ({p.kind})"} for p in policy.data.parties.values()
            ]
            choices.update(
                purposes=sorted(vocabulary.purposes),
                contexts=sorted(vocabulary.contexts),
                groups=groups,
                works=works[: MAX_FILE_BYTES // 200],
                parties=parties,
                licensees=sorted(policy.compiled.contracts_by_licensee),
            )
    except PolicyError:
        choices.update(purposes=[], contexts=[], groups=[], works=[], parties=[], licensees=[])
    countries = [
        {"id": c.alpha_2, "label": getattr(c, "common_name", None) or c.name}
        for c in pycountry.countries
    ]
    choices["countries"] = sorted(countries, key=lambda c: c["id"])
    return choices
