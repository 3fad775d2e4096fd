"""Loading a policy set for batch evaluation, with the checked clause text behind it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalogue import DataSet, load_data
from ..checker import CheckedPolicy
from ..compiler import compile_policy
from ..diagnostics import Diagnostic, PolicyError, Span
from ..policy_set import (
    DATA_PREFIX,
    PolicySet,
    _check,
    _display,
    assumptions,
    checked_parameters,
    clause_files,
    no_clause_files,
    records_of,
    shown_from_cwd,
    version_names,
    version_of,
)


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy set with the checked clause text behind it (for analysis and overrides)."""

    policy_set: PolicySet
    checked: CheckedPolicy


def load_files(
    paths: Sequence[str | Path],
    *,
    data: str | Path | None = None,
    catalogue: DataSet | None = None,
    catalogue_label: str = "<catalogue>",
    assume: Iterable[str] = (),
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    display_root: Path | None = None,
) -> LoadedPolicy:
    """Load a policy set from clause files and directories (not just one directory).

    Like `clausula.load`, with: several `paths`; either a `data` directory or an in-memory
    `catalogue` (a synthetic one, labelled `catalogue_label` in the version hash); and
    `overrides`, parameter values as text in the language's literal syntax
    (`{"aria-optin-2026": {"artist_pool": "40%"}}`), checked against the declarations.
    Raises `PolicyError` with every problem found (an override problem included).
    """
    root = display_root or Path.cwd()
    files = clause_files(list(paths))
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise PolicyError(
            [Diagnostic(Span(str(p), 1, 1), f"there is no file or directory {p}") for p in missing]
        )
    if not files:
        raise PolicyError([Diagnostic(Span(str(paths[0]), 1, 1), "no .clause files found")])
    empty = [Path(p) for p in paths if Path(p).is_dir() and not clause_files([p])]
    if empty:  # a directory named is meant to count: an empty one is a mistake
        raise PolicyError([Diagnostic(Span(str(p), 0, 0), no_clause_files(p)) for p in empty])
    # Each file is named as `clausula.load` names it — by its place under the path given,
    # never by where it sits or the directory the command runs from — in the decisions'
    # sources and in the version; diagnostics show it as reached from `root`.
    set_names = version_names(paths)
    checked, contents, sink = _check(files, lambda path: set_names[path])
    shown = {set_names[path]: _display(path, root) for path in files}
    vocabulary = checked.vocabulary
    dataset: DataSet | None = catalogue
    if dataset is None and data is not None:
        dataset, diagnostics = load_data(
            Path(data),
            purposes=vocabulary.purposes,
            territory_problem=vocabulary.territories.problem,
            display_root=root,
        )
        sink.extend(diagnostics)
    elif dataset is None:
        dataset = DataSet({}, {}, {}, (), ())
    assumed = assumptions(checked, assume, sink)
    if sink.has_errors or dataset is None:
        raise PolicyError(shown_from_cwd(sink.sorted(), shown))
    # Python values and text overrides pass the same validation (text wins on a clash).
    given: dict[str, dict[str, object]] = {k: dict(v) for k, v in (parameters or {}).items()}
    for block, texts in (overrides or {}).items():
        given.setdefault(block, {}).update(texts)
    values = checked_parameters(checked, given)
    for path in dataset.files:
        contents.append((f"{DATA_PREFIX}/{path.name}", path.read_bytes()))
    if catalogue is not None:
        contents.append((catalogue_label, catalogue_label.encode("utf-8")))
    compiled = compile_policy(checked, dataset, values)
    records = records_of(checked, dataset, version_of(contents), assumed)
    return LoadedPolicy(PolicySet(compiled, records, dataset, checked), checked)
