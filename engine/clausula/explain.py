"""`clausula explain`: a decision told in plain English, with the clauses quoted.

The explanation follows the order in which a decision is reached: the decision in one
sentence; which laws and contracts applied and why (and which did not, with the reason);
what each clause contributed, with its text quoted from its file by source position;
which consent was found or missing; how each payment was computed, with the numbers and
the rounding; what an exception (`unless`) or a `notwithstanding` set aside; and the
obligations that come with the use. Everything is read from the decision itself and from
the compiled policy, so the explanation cannot disagree with the answer.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import ast
from .compiled import CompiledBlock, CompiledProvision
from .context import Context
from .decide import contract_miss, jurisdiction_applies, use_facts
from .formatter import expr_text, split_comment
from .kinds import DENYING
from .lines import split_lines
from .models import Decision, Reason, Use
from .parser import parse
from .policy_set import PolicySet, file_of
from .use_input import parse_use

WIDTH = 92
_ID = re.compile(r"(?<![\w:])(?:isni|ipi|dpid|party):[A-Za-z0-9][A-Za-z0-9._\-]*")


@dataclass
class _Sources:
    """Clause files read again by the display path the engine uses in `source`."""

    root: Path  # the policies directory (or lone clause file) the set was loaded from
    texts: dict[str, str]
    files: dict[str, ast.SourceFile]

    def file(self, path: str) -> ast.SourceFile | None:
        if path not in self.files:
            on_disk = file_of(path, self.root)
            if on_disk is None:
                return None
            try:
                text = on_disk.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
            self.texts[path] = text
            self.files[path] = parse(text, path)[0]
        return self.files[path]

    def provision(self, source: str) -> tuple[ast.Provision, str] | None:
        """The provision whose number starts at `source`, and its text as written."""
        path, line, column = _place(source)
        found = self.file(path)
        if found is None:
            return None
        for block in found.blocks:
            for provision in block.provisions:
                key = provision.key_span
                if key.line == line and key.column == column:
                    return provision, self._lines(path, key.line, provision.span.end_line)
        return None

    def block(self, source: str) -> ast.Block | None:
        """The block whose name starts at `source`."""
        path, line, column = _place(source)
        found = self.file(path)
        for block in found.blocks if found else ():
            if block.name_span.line == line and block.name_span.column == column:
                return block
        return None

    def _lines(self, path: str, first: int, last: int) -> str:
        """The clause as written, without its comments: those are the authors' notes."""
        lines = []
        for line in split_lines(self.texts[path])[first - 1 : max(first, last)]:
            code, comment = split_comment(line)
            if comment is None or code.strip():
                lines.append(code.rstrip())
        while lines and not lines[-1].strip():
            lines.pop()
        return textwrap.dedent("\n".join(lines))


def _place(source: str) -> tuple[str, int, int]:
    path, line, column = source.rsplit(":", 2)
    return path, int(line), int(column)


class _Writer:
    """Paragraphs wrapped to `WIDTH`, with numbered items and quoted clause text."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def heading(self, text: str) -> None:
        if self.lines:
            self.lines.append("")
        self.lines += [text, "-" * len(text)]

    def para(self, text: str, indent: str = "", first: str | None = None) -> None:
        self.lines += textwrap.wrap(
            text,
            WIDTH,
            initial_indent=indent if first is None else first,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )

    def item(self, number: int, text: str) -> None:
        label = f"{number}. "
        self.para(text, indent=" " * len(label), first=label)

    def quote(self, where: str, text: str, indent: str = "   ") -> None:
        self.lines.append(f"{indent}As written ({where}):")
        self.lines += [f"{indent}  | {line}".rstrip() for line in text.split("\n")]

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class Explainer:
    """Explains decisions of one loaded policy set.

    `root` is the directory the policy set was loaded from (as given to `load`): the
    clause files are read again from there to quote them.
    """

    def __init__(self, policy_set: PolicySet, root: str | Path) -> None:
        self.policy_set = policy_set
        self.sources = _Sources(Path(root), {}, {})
        compiled = policy_set.compiled
        self.blocks: list[CompiledBlock] = [*compiled.jurisdictions]
        for contracts in compiled.contracts_by_licensee.values():
            self.blocks.extend(contracts)
        self.provisions: dict[str, tuple[CompiledBlock, CompiledProvision]] = {}
        for block in self.blocks:
            for provision in block.provisions:
                self.provisions[provision.label] = (block, provision)

    # ------------------------------------------------------------- words
    def who(self, party_id: str) -> str:
        """A party by name and id: `Marlowe Vance (isni:0000000121032683)`."""
        party = self.policy_set.data.party(party_id)
        return f"{party.name} ({party_id})" if party is not None else party_id

    def names(self, text: str) -> str:
        """`text` with every party id followed by the party's name, when known."""
        return _ID.sub(lambda m: self.who(m.group(0)), text)

    def _titled(self, provision: CompiledProvision) -> str:
        title = f" “{provision.title}”" if provision.title else ""
        return f"{provision.label}{title}"

    def _cited(self, provision: CompiledProvision) -> str:
        return f" ({provision.citation})" if provision.citation else ""

    # ------------------------------------------------------------- the explanation
    def explain(self, use: Use | Mapping[str, Any]) -> str:
        """The decision about `use` in plain English. Raises `UseError` for a bad use."""
        use = parse_use(use)
        decision = self.policy_set.decide(use)
        out = _Writer()
        self._summary(out, use, decision)
        self._applied(out, use)
        self._clauses(out, decision)
        self._consent(out, decision)
        self._payments(out, decision)
        self._set_aside(out, decision)
        self._obligations(out, decision)
        return out.text()

    def _summary(self, out: _Writer, use: Use, decision: Decision) -> None:
        name = f"Use {use.id}" if use.id else "The use"
        works = f", touching {_count(len(use.works), 'work')}" if use.works else ""
        out.para(
            f"{name}: {self.who(use.licensee)} proposes {use.purpose.replace('_', ' ')} "
            f"in {use.territory} on {use.date.isoformat()}{works}."
        )
        if decision.decision == "deny":
            why = [r for r in decision.reasons if r.effect in DENYING]
            because = "; ".join(self._why_denied(r) for r in why) or "nothing permits it"
            out.para(f"Decision: DENY. The use is not allowed: {because}.")
        elif decision.decision == "pay":
            totals = " and ".join(f"{t.amount} {t.currency}" for t in decision.totals)
            out.para(
                f"Decision: PAY. The use is allowed, provided the payments below are made "
                f"({totals} in all)."
            )
        else:
            out.para("Decision: ALLOW. The use is allowed, and no payment is due.")

    def _why_denied(self, reason: Reason) -> str:
        where = f" ({reason.rule})" if reason.rule in self.provisions else ""
        message = reason.message
        if reason.effect == "deny":
            message = f"{reason.rule} denies it: {message}"
            where = ""
        return self.names(message) + where

    # ------------------------------------------------------------- what applied
    def _applied(self, out: _Writer, use: Use) -> None:
        out.heading("Which laws and contracts applied")
        compiled = self.policy_set.compiled
        ctx = Context(use, self.policy_set.data, use_facts(use, compiled))
        assumed = self.policy_set.assumed
        applied: list[str] = []
        skipped: list[str] = []
        for block in compiled.jurisdictions:
            title = f", {block.title}," if block.title else ""
            if jurisdiction_applies(block, ctx, assumed):
                applied.append(f"The law {block.name}{title} applied: {self._in_force(block)}.")
            else:
                skipped.append(f"the law {block.name} ({self._law_miss(block, ctx)})")
        contracts = compiled.contracts_by_licensee.get(use.licensee, ())
        for block in contracts:
            title = f", {block.title}," if block.title else ""
            miss = contract_miss(block, ctx)
            if miss is None:
                applied.append(
                    f"The contract {block.name}{title} applied: {self._contract_fits(block, use)}."
                )
            else:
                skipped.append(f"the contract {block.name} ({_lower(miss)})")
        if not contracts:
            skipped.append(
                f"no contract has {self.who(use.licensee)} as its licensee, and without a "
                "licence there is no use (opt-in: silence is no)"
            )
        for number, sentence in enumerate(applied, start=1):
            out.item(number, sentence)
        if not applied:
            out.para("No law or contract applied.")
        if skipped:
            out.para("Did not apply: " + "; ".join(skipped) + ".")

    def _in_force(self, block: CompiledBlock) -> str:
        parts = []
        if block.proposed:
            enacted = self.policy_set.assumed.get(block.name)
            when = f" with an assumed enactment on {enacted}" if enacted else ""
            parts.append(f"it is a proposed law, assumed enacted for this question{when}")
        elif block.start:
            until = f" until {block.end}" if block.end else ""
            parts.append(f"it is in force from {block.start}{until}")
        conditions = self._applies_text(block)
        if conditions:
            parts.append(f"its condition `{conditions}` holds")
        return ", and ".join(parts) or "it applies to every use"

    def _law_miss(self, block: CompiledBlock, ctx: Context) -> str:
        if block.proposed and block.name not in self.policy_set.assumed:
            return "a proposed law, not assumed enacted"
        if block.start and ctx.date < block.start and not block.proposed:
            return f"in force only from {block.start}"
        if block.end and ctx.date > block.end:
            return f"in force only until {block.end}"
        conditions = self._applies_text(block)
        if conditions:
            return f"its condition `{conditions}` does not hold"
        return "not in force on the date of the use"  # pragma: no cover

    def _applies_text(self, block: CompiledBlock) -> str:
        found = self.sources.block(block.source)
        if found is None or not found.applies:
            return ""
        return " and ".join(
            expr_text(e) if len(found.applies) == 1 else f"({expr_text(e)})" for e in found.applies
        )

    def _contract_fits(self, block: CompiledBlock, use: Use) -> str:
        parts = [f"{self.who(use.licensee)} is its licensee"]
        term = f"from {block.start}" if block.start else ""
        if block.end:
            term += f" until {block.end}"
        parts.append(f"{use.date} is within its term ({term.strip()})" if term else "")
        if block.territory is not None:
            parts.append(f"{use.territory} is within its territory ({block.territory})")
        if block.scope_works is not None and (use.works or use.artists or use.attribution):
            parts.append(
                f"what the use touches is within its scope ({self.names(block.scope_label)})"
            )
        found = self.sources.block(block.source)
        if found is not None and found.applies:
            parts.append(f"its condition `{self._applies_text(block)}` holds")
        parts = [p for p in parts if p]
        return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]

    # ------------------------------------------------------------- clauses
    def _clauses(self, out: _Writer, decision: Decision) -> None:
        out.heading("What each clause contributed")
        said: dict[str, list[str]] = {}

        def add(label: str, sentence: str) -> None:
            if label in self.provisions and sentence not in said.setdefault(label, []):
                said[label].append(sentence)

        for reason in decision.reasons:
            sentence = self._contribution(reason)
            if sentence:
                add(reason.rule, sentence)
            if reason.effect == "set-aside":
                setter = self._setter(reason)
                if setter is not None:
                    add(setter.label, f"It sets {reason.rule} aside (see “Set aside” below).")
        payees: dict[str, list[str]] = {}
        for payment in decision.payments:
            payees.setdefault(payment.rule, []).append(
                f"{payment.amount} {payment.currency} to {self.who(payment.payee)}"
            )
        for label, items in payees.items():
            add(label, f"It requires payments: {_and(items)} (see “Payments” below).")
        if not said:
            out.para("No clause or rule contributed to this decision.")
            return
        order = {b.name: i for i, b in enumerate(self.blocks)}

        def position(label: str) -> tuple[int, str, int, int]:
            block, provision = self.provisions[label]
            path, line, column = _place(provision.source)
            return (order[block.name], path, line, column)

        for number, label in enumerate(sorted(said, key=position), start=1):
            _, provision = self.provisions[label]
            out.item(number, f"{self._titled(provision)}{self._cited(provision)}.")
            for sentence in said[label]:
                out.para(sentence, indent="   ")
            quoted = self.sources.provision(provision.source)
            if quoted is not None:
                out.quote(provision.source, quoted[1])

    def _contribution(self, reason: Reason) -> str:
        message = self.names(reason.message)
        effect = reason.effect
        if effect == "permit":
            return f"It permits {message.rsplit('permits ', 1)[-1]}."
        if effect == "deny":
            return f"It denies the use: {message}."
        if effect == "oblige":
            return "It imposes a duty (see “Obligations” below)."
        if effect == "obligation-met":
            return f"Its duty is already met: {message.removeprefix('already done: ')}."
        if effect in ("consent-met", "consent-missing"):
            return "It requires consent (see “Consent” below)."
        if effect == "exception":
            return "It does not apply, because its exception holds (see “Set aside” below)."
        if effect == "set-aside":
            return "It was set aside (see “Set aside” below)."
        if effect == "no-payment":
            return "It provides that no payment is due."
        if effect == "licence-met":
            return f"It requires a licence from the rights holder, which there is: {message}."
        if effect == "no-licence":
            return f"It requires a licence from the rights holder, which is missing: {message}."
        if effect == "risk":
            return f"It states a risk: {message}."
        return f"{effect}: {message}."  # pragma: no cover - every effect is named above

    def _setter(self, reason: Reason) -> CompiledProvision | None:
        for _, provision in self.provisions.values():
            if provision.source == reason.source:
                return provision
        return None

    # ------------------------------------------------------------- consent, payments
    def _consent(self, out: _Writer, decision: Decision) -> None:
        out.heading("Consent")
        reasons = [r for r in decision.reasons if r.effect in ("consent-met", "consent-missing")]
        if not reasons:
            out.para("No clause or rule that applied required anyone's consent for this use.")
            return
        for number, reason in enumerate(reasons, start=1):
            message = self.names(reason.message)
            if reason.effect == "consent-met":
                text = f"Found, as {reason.rule} requires: {message}."
            else:
                message = message.removeprefix("no valid consent of ")
                text = f"Missing, as {reason.rule} requires: no valid consent of {message}."
            out.item(number, text + (f" Citation: {reason.citation}." if reason.citation else ""))

    def _payments(self, out: _Writer, decision: Decision) -> None:
        out.heading("Payments")
        if not decision.payments:
            if decision.decision == "deny":
                out.para("No payment is due, because the use is denied.")
            else:
                out.para("No payment is due.")
            return
        for number, payment in enumerate(decision.payments, start=1):
            # The basis ends `= 216.00 USD` or `≈ 33.33 USD` (money.equals_money); the part
            # paid may differ by a minor unit so that the parts add up to the rounded total.
            shown = payment.basis.rsplit(" ", 2)[-2]
            computed = payment.basis
            if shown.replace(".", "", 1).isdigit() and Decimal(shown) != payment.amount:
                computed += (
                    f", paid as {payment.amount} {payment.currency} so that the parts add up"
                )
            title = ""
            if payment.rule in self.provisions:
                _, provision = self.provisions[payment.rule]
                title = f" “{provision.title}”" if provision.title else ""
            out.item(
                number,
                f"{self.who(payment.payee)} is owed {payment.amount} {payment.currency} "
                f"under {payment.rule}{title}, computed as {computed}.",
            )
        totals = " and ".join(f"{t.amount} {t.currency}" for t in decision.totals)
        out.para(
            f"In all: {totals}. Each amount is computed exactly and rounded once, at the end, "
            "to the currency's smallest unit; the parts add up to the rounded total."
        )

    def _set_aside(self, out: _Writer, decision: Decision) -> None:
        out.heading("Set aside")
        number = 0
        for reason in decision.reasons:
            if reason.effect == "exception" and reason.rule in self.provisions:
                _, provision = self.provisions[reason.rule]
                condition = reason.message.rsplit("does not apply: unless ", 1)[-1]
                number += 1
                out.item(
                    number,
                    f"{self._titled(provision)} does not apply, because its exception "
                    f"`unless {condition}` holds for this use.",
                )
            elif reason.effect == "set-aside" and reason.rule in self.provisions:
                _, target = self.provisions[reason.rule]
                setter = self._setter(reason)
                by = self._titled(setter) if setter is not None else "another clause"
                number += 1
                out.item(
                    number,
                    f"{self._titled(target)} was set aside by {by}, which applies "
                    f"notwithstanding {reason.rule}.",
                )
        if not number:
            out.para("Nothing was set aside by an exception (`unless`) or by `notwithstanding`.")

    def _obligations(self, out: _Writer, decision: Decision) -> None:
        out.heading("Obligations")
        if not decision.obligations:
            if decision.decision == "deny":
                out.para("None: the use is denied.")
            else:
                out.para("The use comes with no obligation.")
            return
        for number, obligation in enumerate(decision.obligations, start=1):
            cited = f"; {obligation.citation}" if obligation.citation else ""
            text = obligation.text.rstrip(".")
            out.item(number, f"{text} ({obligation.rule}{cited}).")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def explain(policy_set: PolicySet, root: str | Path, use: Use | Mapping[str, Any]) -> str:
    """The decision about `use` in plain English (see `Explainer`)."""
    return Explainer(policy_set, root).explain(use)
