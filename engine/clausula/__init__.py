"""Clausula: policy-as-code for licensing music to AI.

Load a policy set once, decide many uses::

    import clausula
    policies = clausula.load("policies")
    decision = policies.decide({"date": "2026-09-01", "licensee": "party:aria-labs",
                                "purpose": "training", "territory": "DE",
                                "works": ["isrc:USUM71703861"]})
    print(decision.decision)
"""

from .diagnostics import Diagnostic, PolicyError, Span
from .models import Decision, Obligation, Payment, Reason, Use
from .policy_set import PolicySet, check, load
from .use_input import UseError, UseProblem, parse_use, parse_use_json, read_uses

__all__ = [
    "Decision",
    "Diagnostic",
    "Obligation",
    "Payment",
    "PolicyError",
    "PolicySet",
    "Reason",
    "Span",
    "Use",
    "UseError",
    "UseProblem",
    "check",
    "load",
    "parse_use",
    "parse_use_json",
    "read_uses",
]
