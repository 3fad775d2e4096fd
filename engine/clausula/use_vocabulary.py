"""A use's names against a policy set's vocabulary: purposes, contexts, the territory and
the facts it declares. One sentence per problem, the same wherever a use is checked: where
it enters (`parse_use` with a vocabulary, so that these problems come in one answer with the
others) and where it is decided (`decide.use_facts`, for a `Use` built in Python)."""

from __future__ import annotations

from collections.abc import Collection

from .diagnostics import did_you_mean
from .territory import code_problem


def purpose_problem(purpose: str, purposes: Collection[str]) -> str | None:
    """Why `purpose` is not a purpose of the policy set, or None."""
    if purpose in purposes:
        return None
    hint = did_you_mean(purpose, purposes)
    return f"`{purpose}` is not a declared purpose" + (f"; {hint}" if hint else "")


def context_problem(context: str, contexts: Collection[str]) -> str | None:
    """Why `context` is not an exception category of the policy set, or None."""
    if context in contexts:
        return None
    hint = did_you_mean(context, contexts)
    return f"`{context}` is not a declared context" + (f"; {hint}" if hint else "")


def territory_problem(territory: str) -> str | None:
    """Why `territory` is not where a use can happen, or None."""
    problem = code_problem(territory)
    return problem + "; a use happens in one country or subdivision" if problem else None


def fact_problem(name: str, facts: Collection[str]) -> str | None:
    """Why no policy reads the fact `name`, or None."""
    if name in facts:
        return None
    hint = did_you_mean(name, facts)
    return f"no policy declares the fact `{name}`" + (f"; {hint}" if hint else "")
