"""Proofs about clause files with an SMT solver (z3): `analyze` and `diff --prove`.

`encode` writes a checked and compiled policy set as formulas over a symbolic use
(`space`), following the decision procedure of `decide.py` (`procedure`); `analyze` and
`equivalence` ask the solver questions about it and re-decide every witness with the engine.
"""
