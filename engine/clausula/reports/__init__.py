"""Transparency reports: licences, the EU AI Act training-content summary, and one artist's
view. Each report is JSON-ready data with a Markdown rendering (docs/reports.md)."""

from __future__ import annotations

from .artist import artist_markdown, artist_report
from .licences import licences_markdown, licences_report
from .training import ManifestError, read_manifest, training_markdown, training_summary

__all__ = [
    "ManifestError",
    "artist_markdown",
    "artist_report",
    "licences_markdown",
    "licences_report",
    "read_manifest",
    "training_markdown",
    "training_summary",
]
