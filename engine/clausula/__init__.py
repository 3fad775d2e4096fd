"""Clausula: policy-as-code for licensing music to AI.

Load a policy set once, decide many uses::

    import clausula
    policies = clausula.load("policies")
    decision = policies.decide({"date": "2026-09-01", "licensee": "party:aria-labs",
                                "purpose": "training", "territory": "DE",
                                "works": ["isrc:USUM71703861"]})
    print(decision.decision)
"""

from typing import TYPE_CHECKING, Any

from . import native

# First of all: whether the compiled decision modules, or their sources, are imported.
native.prefer_sources()

from .diagnostics import Diagnostic, PolicyError, Span  # noqa: E402
from .errors import ClausulaError  # noqa: E402
from .models import Decision, Obligation, Payment, Reason, Use  # noqa: E402
from .pricing import Outcome  # noqa: E402
from .use_input import UseError, UseProblem, parse_use, parse_use_json, read_uses  # noqa: E402

if TYPE_CHECKING:
    from .batch import decide_outcomes
    from .policy_set import PolicySet, check, load
    from .table import decide_table

# Loading a policy set needs the parser and the checker; deciding does not. These names
# are imported on first use, so `import clausula.decide` (a worker that only decides)
# never loads them; nor is pyarrow (or NumPy) imported until `decide_table` (or
# `decide_outcomes`) is asked for.
_LOADING = frozenset({"PolicySet", "check", "load"})


def __getattr__(name: str) -> Any:
    if name == "decide_outcomes":
        from .batch import decide_outcomes

        globals()[name] = decide_outcomes
        return decide_outcomes
    if name == "decide_table":
        from .table import decide_table

        globals()[name] = decide_table
        return decide_table
    if name in _LOADING:
        from . import policy_set

        value = getattr(policy_set, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'clausula' has no attribute {name!r}")


__all__ = [
    "ClausulaError",
    "Decision",
    "Diagnostic",
    "Obligation",
    "Outcome",
    "Payment",
    "PolicyError",
    "PolicySet",
    "Reason",
    "Span",
    "Use",
    "UseError",
    "UseProblem",
    "check",
    "decide_outcomes",
    "decide_table",
    "load",
    "parse_use",
    "parse_use_json",
    "read_uses",
]
