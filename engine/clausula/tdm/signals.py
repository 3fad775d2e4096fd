"""Parsers of the machine-readable TDM signals (each a pure function of text).

- W3C TDM Reservation Protocol (final report): `/.well-known/tdmrep.json` (an array of
  rules `location`, `tdm-reservation`, `tdm-policy`; the first match wins; `*` and `$` as in
  robots.txt), the `tdm-reservation` / `tdm-policy` HTTP fields and HTML `<meta name>`s.
  `tdm-reservation` is 1 (reserved) or 0; any other value is a protocol error: unset.
- robots.txt (RFC 9309): a group naming an AI crawler's product token that disallows the
  path (longest match; `Allow` wins a tie).
- IETF AI preferences (draft-ietf-aipref-vocab / -attach): `Content-Usage: train-ai=n` in
  an HTTP field or a robots.txt rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Final

from ..json_input import JSONProblems, read_json

# Product tokens of crawlers that collect for AI training (vendors' documentation).
AI_USER_AGENTS: Final = (
    "GPTBot",
    "Google-Extended",
    "CCBot",
    "ClaudeBot",
    "anthropic-ai",
    "Applebot-Extended",
    "PerplexityBot",
    "Bytespider",
    "meta-externalagent",
    "cohere-ai",
    "Amazonbot",
)
# AI-preferences categories that mean mining for training (draft-ietf-aipref-vocab).
AIPREF_TRAINING: Final = ("train-ai", "train-genai")
MAX_SIGNAL_BYTES: Final = 2_000_000  # a captured file larger than this is not read
MAX_RULES: Final = 10_000  # rules of a tdmrep.json or lines of a robots.txt


@dataclass(frozen=True)
class TdmRepRule:
    """One rule of a `tdmrep.json`."""

    location: str
    reservation: int | None  # 1, 0, or None (a protocol error: unset)
    policy: str | None


@dataclass(frozen=True)
class Declaration:
    """What a TDMRep technique says for a resource: reserved (1/0/None) and the policy."""

    reservation: int | None
    policy: str | None


def _reservation(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value.strip())
    return None


def parse_tdmrep(text: str | bytes) -> tuple[list[TdmRepRule], list[tuple[str, str]]]:
    """The rules of a `tdmrep.json` and the problems found, each with its JSON Pointer."""
    try:
        value, problems = read_json(text)
    except JSONProblems as error:
        return [], list(error.problems)
    if problems:
        return [], problems
    if not isinstance(value, list):
        return [], [("", "tdmrep.json must be a JSON array of rules")]
    rules: list[TdmRepRule] = []
    for index, item in enumerate(value[:MAX_RULES]):
        pointer = f"/{index}"
        if not isinstance(item, dict):
            problems.append((pointer, "a rule must be an object"))
            continue
        location = item.get("location")
        if not isinstance(location, str) or not location:
            problems.append((pointer + "/location", "a rule must have a location (a path)"))
            continue
        if "tdm-reservation" not in item:
            problems.append((pointer + "/tdm-reservation", "a rule must have a tdm-reservation"))
            continue
        reservation = _reservation(item["tdm-reservation"])
        if reservation is None:
            problems.append((pointer + "/tdm-reservation", "must be 1 or 0: treated as unset"))
        policy = item.get("tdm-policy")
        rules.append(
            TdmRepRule(
                location, reservation, policy if isinstance(policy, str) and policy else None
            )
        )
    return rules, problems


def _pattern(path: str) -> re.Pattern[str]:
    """A robots.txt path pattern (`*` any characters, `$` the end) as a prefix regex."""
    anchored = path.endswith("$")
    body = path[:-1] if anchored else path
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""))


def matches(pattern: str, path: str) -> bool:
    """Whether a robots.txt-style pattern matches the path (from its start)."""
    return _pattern(pattern).match(path) is not None


def tdmrep_for(rules: list[TdmRepRule], path: str) -> TdmRepRule | None:
    """The rule for `path`: the first that matches (TDMRep: "the most specific match is
    the first in sequence")."""
    return next((rule for rule in rules if matches(rule.location, path)), None)


def parse_fields(text: str) -> dict[str, str]:
    """The header fields of a captured HTTP response (a status line, then `name: value`
    lines up to a blank line), names lower-cased; a repeated field's values joined by `, `."""
    fields: dict[str, str] = {}
    for number, line in enumerate(text.splitlines()[:MAX_RULES]):
        if not line.strip():
            break
        if number == 0 and line.startswith("HTTP/"):
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            continue
        key = name.strip().lower()
        fields[key] = f"{fields[key]}, {value.strip()}" if key in fields else value.strip()
    return fields


def declaration_of_fields(fields: dict[str, str]) -> Declaration | None:
    """TDMRep's HTTP fields, if the response has them."""
    if "tdm-reservation" not in fields and "tdm-policy" not in fields:
        return None
    return Declaration(
        _reservation(fields.get("tdm-reservation")), fields.get("tdm-policy") or None
    )


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {k.lower(): v for k, v in attrs if v is not None}
        name = values.get("name", "").strip().lower()
        if name in ("tdm-reservation", "tdm-policy") and name not in self.found:
            self.found[name] = values.get("content", "").strip()


def declaration_of_html(html: str) -> Declaration | None:
    """TDMRep's `<meta name="tdm-reservation">` / `tdm-policy` of an HTML page."""
    parser = _Meta()
    try:
        parser.feed(html[:MAX_SIGNAL_BYTES])
        parser.close()
    except (ValueError, AssertionError):  # html.parser's own errors on broken markup
        return None
    if not parser.found:
        return None
    return Declaration(
        _reservation(parser.found.get("tdm-reservation")), parser.found.get("tdm-policy") or None
    )


def content_usage_denies_training(value: str) -> bool:
    """Whether a `Content-Usage` value (a structured-field dictionary) says `n` for AI
    training. Per the vocabulary draft, the last of repeated keys counts; unknown values
    and parameters are ignored."""
    said: dict[str, str] = {}
    for member in value.split(","):
        key, _, rest = member.strip().partition("=")
        key = key.split(";", 1)[0].strip().lower()
        token = rest.split(";", 1)[0].strip().strip('"').lower() if rest else "?1"
        if key:
            said[key] = token
    return any(said.get(category) == "n" for category in AIPREF_TRAINING)


@dataclass(frozen=True)
class RobotsVerdict:
    """What a robots.txt says of a path for AI training."""

    blocked_agents: tuple[str, ...]  # AI crawlers disallowed on the path
    content_usage: str | None  # the Content-Usage rule that applies to the path, if any


def parse_robots(text: str, path: str) -> RobotsVerdict:
    """Read a robots.txt for `path`: which AI crawlers' groups disallow it, and the
    `Content-Usage` rule (longest matching path) of those groups or of `*`."""
    groups: list[tuple[list[str], list[tuple[str, str, str]]]] = []
    agents: list[str] = []
    rules: list[tuple[str, str, str]] = []
    in_rules = False
    for raw in text.splitlines()[:MAX_RULES]:
        line = raw.split("#", 1)[0].strip()
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if in_rules:
                groups.append((agents, rules))
                agents, rules, in_rules = [], [], False
            agents.append(value.lower())
        elif key in ("allow", "disallow", "content-usage"):
            in_rules = True
            if key == "content-usage":
                first, _, rest = value.partition(" ")
                pattern, said = (first, rest.strip()) if first.startswith("/") else ("/", value)
                rules.append((key, pattern, said))
            else:
                rules.append((key, value, ""))
    if agents:
        groups.append((agents, rules))
    wanted = {a.lower(): a for a in AI_USER_AGENTS}
    blocked: list[str] = []
    usage: tuple[int, str] | None = None
    for names, group_rules in groups:
        ai = [wanted[n] for n in names if n in wanted]
        if ai and _disallowed(group_rules, path):
            blocked += ai
        if ai or "*" in names:
            for kind, pattern, value in group_rules:
                longer = usage is None or len(pattern) > usage[0]
                if kind == "content-usage" and longer and matches(pattern, path):
                    usage = (len(pattern), value)
    return RobotsVerdict(tuple(dict.fromkeys(blocked)), usage[1] if usage else None)


def _disallowed(rules: list[tuple[str, str, str]], path: str) -> bool:
    best: tuple[int, bool] | None = None  # (length, allowed)
    for kind, pattern, _ in rules:
        if kind == "content-usage" or not pattern or not matches(pattern, path):
            continue
        candidate = (len(pattern), kind == "allow")
        if best is None or candidate > best:  # longer wins; on a tie, allow
            best = candidate
    return best is not None and not best[1]
