"""The root of every error Clausula raises: `except clausula.ClausulaError` catches them all.

Errors that were `ValueError`s before the root existed (a bad use, a date out of range, a
bad override …) keep `ValueError` as a second base, so code that catches `ValueError`
keeps working.
"""

from __future__ import annotations


class ClausulaError(Exception):
    """Any error the Clausula package raises to its callers."""
