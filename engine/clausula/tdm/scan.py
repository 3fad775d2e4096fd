"""The TDM signals found for each work of a catalogue, combined into one finding.

TDMRep's processing order (final report, "Processing priority"): the well-known file,
then the HTTP fields of the response, then the HTML meta of the page; each later value
supersedes an earlier one, and an absent value resets nothing. A work is reserved when
TDMRep says 1; failing that, when an AI-preferences signal says `train-ai=n` (the
response's `Content-Usage` field, then robots.txt's rule); failing that, when robots.txt
disallows the page to a named AI crawler. Any one of these is an express, machine-readable
reservation (DSM Directive Art. 4(3), Recital 18); a TDMRep 0 does not undo another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..catalogue import TdmReservation, TdmSignal, Work
from .captures import CaptureError, Response, fetch, read
from .signals import (
    content_usage_denies_training,
    declaration_of_fields,
    declaration_of_html,
    parse_fields,
    parse_robots,
    parse_tdmrep,
    tdmrep_for,
)

Getter = Callable[[str], Response | None]


@dataclass
class WorkSignals:
    """What was found for one work: the reservation (if any) and what was read."""

    work: str
    url: str | None
    reservation: TdmReservation | None = None
    policy: str | None = None
    notes: list[str] = field(default_factory=list)


def _site(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def scan_work(work: Work, get: Getter, seen: dt.date) -> WorkSignals:
    """The finding for one work, from the responses `get` returns."""
    found = WorkSignals(work.id, work.url)
    if work.url is None:
        found.notes.append("no url in the catalogue: nothing to read")
        return found
    path = urlsplit(work.url).path or "/"
    reserved: int | None = None
    policy: str | None = None
    where: tuple[TdmSignal, str] | None = None

    well_known = _site(work.url, "/.well-known/tdmrep.json")
    response = get(well_known)
    if response is not None:
        rules, problems = parse_tdmrep(response.body)
        found.notes += [f"{well_known}{p or ''}: {m}" for p, m in problems]
        rule = tdmrep_for(rules, path)
        if rule is not None and rule.reservation is not None:
            reserved, policy = rule.reservation, rule.policy
            where = ("tdmrep-file", f"{well_known} location {rule.location}")

    page = get(work.url)
    fields = parse_fields(page.fields_text) if page is not None else {}
    declaration = declaration_of_fields(fields)
    if declaration is not None and declaration.reservation is not None:
        reserved, where = declaration.reservation, ("tdmrep-header", f"{work.url} tdm-reservation")
        policy = declaration.policy or policy
    if page is not None and _is_html(fields, page):
        meta = declaration_of_html(page.body.decode("utf-8", errors="replace"))
        if meta is not None and meta.reservation is not None:
            reserved, where = meta.reservation, ("tdmrep-html", f"{work.url} meta tdm-reservation")
            policy = meta.policy or policy

    if reserved == 1 and where is not None:
        found.policy = policy
        found.reservation = TdmReservation(
            work=work.id, signal=where[0], source=f"{where[1]} = 1", seen=seen, policy=policy
        )
        return found
    if reserved == 0:
        found.notes.append(f"TDMRep says not reserved ({where[1] if where else work.url} = 0)")

    usage = fields.get("content-usage")
    if usage is not None and content_usage_denies_training(usage):
        found.reservation = TdmReservation(
            work=work.id,
            signal="ai-preferences",
            source=f"{work.url} Content-Usage: {usage}",
            seen=seen,
        )
        return found
    robots_url = _site(work.url, "/robots.txt")
    robots = get(robots_url)
    if robots is not None:
        verdict = parse_robots(robots.body.decode("utf-8", errors="replace"), path)
        if verdict.content_usage is not None and content_usage_denies_training(
            verdict.content_usage
        ):
            found.reservation = TdmReservation(
                work=work.id,
                signal="ai-preferences",
                source=f"{robots_url} Content-Usage: {verdict.content_usage}",
                seen=seen,
            )
            return found
        if verdict.blocked_agents:
            found.reservation = TdmReservation(
                work=work.id,
                signal="robots",
                source=f"{robots_url} disallows {', '.join(verdict.blocked_agents)}",
                seen=seen,
            )
    return found


def _is_html(fields: dict[str, str], page: Response) -> bool:
    kind = fields.get("content-type", "")
    return "html" in kind or page.path.suffix in (".html", ".htm")


def scan_works(
    works: Iterable[Work], captures: Path, seen: dt.date, *, fetching: bool = False
) -> list[WorkSignals]:
    """The findings for every work with a url, reading responses captured under
    `captures` — fetching (and capturing) each URL once when `fetching` is set."""
    cache: dict[str, Response | None] = {}
    errors: dict[str, str] = {}

    def get(url: str) -> Response | None:
        if url not in cache:
            try:
                cache[url] = fetch(captures, url) if fetching else read(captures, url)
            except CaptureError as error:
                cache[url], errors[url] = None, str(error)
        return cache[url]

    out = []
    for work in sorted(works, key=lambda w: w.id):
        finding = scan_work(work, get, seen)
        out.append(finding)
    for finding in out:
        for url, message in errors.items():
            if finding.url is not None and urlsplit(url).netloc == urlsplit(finding.url).netloc:
                finding.notes.append(message)
    return out
