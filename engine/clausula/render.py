"""Readable rendering of decisions, use errors and diagnostics for people, with Rich.

Everything that comes from a user (ids, messages, clause text) is wrapped in `rich.text.Text`
so that brackets in it are never taken for Rich markup. Rich drops colour and styles by
itself when the output is not a terminal, so the same code prints plain text into pipes,
files and tests. Money is printed exactly as the decision's decimal strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from .diagnostics import Diagnostic
from .kinds import DENYING
from .models import Decision, Use
from .use_input import UseError

DECISION_STYLES = {"allow": "bold green", "pay": "bold yellow", "deny": "bold red"}


def _effect_style(effect: str) -> str:
    if effect in DENYING:  # why a use was denied: red
        return "red"
    if effect in ("permit", "consent-met"):
        return "green"
    return "cyan"


def money(amount: Decimal) -> str:
    """A decision's amount as its exact decimal string (the same text as in the JSON)."""
    return str(amount)


def plural(count: int, word: str) -> str:
    """`1 error`, `3 errors`, `0 files`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# ------------------------------------------------------------------ diagnostics


def diagnostic_text(diagnostic: Diagnostic) -> Text:
    """One diagnostic as `Diagnostic.render()` prints it, with the severity and caret in colour."""
    style = "bold red" if diagnostic.severity == "error" else "bold yellow"
    rendered = diagnostic.render().split("\n")
    text = Text()
    head = rendered[0]
    location = str(diagnostic.span)
    marker = f": {diagnostic.severity}: "
    if head.startswith(location + marker):
        text.append(location, style="bold")
        text.append(": ")
        text.append(diagnostic.severity, style=style)
        text.append(": " + head[len(location) + len(marker) :])
    else:
        text.append(head)
    for line in rendered[1:]:
        text.append("\n")
        if line.strip() and set(line.strip()) == {"^"}:
            text.append(line, style=style)
        elif line.lstrip().startswith("hint:"):
            text.append(line, style="cyan")
        else:
            text.append(line)
    return text


def print_diagnostics(console: Console, diagnostics: Iterable[Diagnostic]) -> None:
    """Print every diagnostic, a blank line between them; never wrapped, so carets line up."""
    for diagnostic in diagnostics:
        console.print(diagnostic_text(diagnostic), soft_wrap=True, highlight=False)
        console.print()


def check_summary(diagnostics: Sequence[Diagnostic], label: str, files: int) -> Text:
    """`3 errors in 2 files` or `policies: 7 files, no problems`."""
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = [d for d in diagnostics if d.severity != "error"]
    if errors:
        paths = {d.span.path for d in errors}
        text = Text(f"{plural(len(errors), 'error')} in {plural(len(paths), 'file')}", "bold red")
        if warnings:
            text.append(f", {plural(len(warnings), 'warning')}", style="yellow")
        return text
    if warnings:
        return Text(
            f"{label}: {plural(files, 'file')}, {plural(len(warnings), 'warning')}", style="yellow"
        )
    return Text(f"{label}: {plural(files, 'file')}, no problems", style="green")


# ------------------------------------------------------------------ uses


def use_error_text(error: UseError, label: str | None = None) -> Text:
    """A use that cannot be decided: which use, and each bad field with its pointer."""
    name = error.use_id or label or "the use"
    text = Text()
    text.append("error", style="bold red")
    text.append(f": {name} cannot be decided:")
    for problem in error.problems:
        text.append("\n  ")
        text.append(problem.pointer or "/", style="bold")
        text.append(f": {problem.message}")
    return text


def use_error_json(error: UseError) -> dict[str, object]:
    """The JSON line for a use that cannot be decided: `{"id": …, "error": [{pointer, message}]}`.

    Problems in a JSON Lines file carry the line number separately (`"line": 3`), so that
    `pointer` stays a JSON Pointer.
    """
    problems: list[dict[str, object]] = []
    for problem in error.problems:
        item: dict[str, object] = {}
        pointer = problem.pointer
        if pointer.startswith("line "):
            number, _, rest = pointer[len("line ") :].partition(": ")
            if number.isdigit():
                item["line"] = int(number)
                pointer = "" if rest == "/" else rest
        item["pointer"] = pointer
        item["message"] = problem.message
        problems.append(item)
    return {"id": error.use_id, "error": problems}


# ------------------------------------------------------------------ decisions


def _use_line(use: Use) -> Text:
    parts = [use.licensee, use.purpose, use.territory, use.date.isoformat()]
    return Text(" · ".join(parts), style="dim")


def _section(title: str) -> Text:
    return Text(title, style="bold underline")


def decision_renderable(
    decision: Decision, use: Use | None = None, label: str | None = None
) -> RenderableType:
    """A readable summary of one decision: the answer, payments, totals, obligations,
    reasons and the policy version behind it."""
    parts: list[RenderableType] = []

    head = Text()
    head.append(decision.id or label or "use", style="bold")
    head.append("  ")
    head.append(decision.decision.upper(), style=DECISION_STYLES.get(decision.decision, "bold"))
    if use is not None:
        head.append("  ")
        head.append_text(_use_line(use))
    parts.append(head)

    if decision.payments:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
        table.add_column("payee", no_wrap=True)
        table.add_column("amount", justify="right", no_wrap=True)
        table.add_column("currency", no_wrap=True)
        table.add_column("rule · basis")
        for payment in decision.payments:
            rule = Text()
            rule.append(payment.rule, style="bold")
            rule.append("\n")
            rule.append(payment.basis, style="dim")
            table.add_row(
                Text(payment.payee), Text(money(payment.amount)), Text(payment.currency), rule
            )
        parts.append(_section("Payments"))
        parts.append(table)
    if decision.totals:
        total = Text("Total: ", style="bold")
        total.append(
            ", ".join(f"{money(t.amount)} {t.currency}" for t in decision.totals), style="bold"
        )
        parts.append(total)

    if decision.obligations:
        parts.append(_section("Obligations"))
        obligations = Table.grid(padding=(0, 1))
        obligations.add_column(no_wrap=True)
        obligations.add_column()
        for obligation in decision.obligations:
            body = Text(obligation.text)
            body.append("\n")
            body.append(obligation.rule, style="bold")
            if obligation.citation:
                body.append(f" — {obligation.citation}")
            body.append(f"\n{obligation.source}", style="dim")
            obligations.add_row(Text(" •"), body)
        parts.append(obligations)

    if decision.reasons:
        parts.append(_section("Reasons"))
        reasons = Table.grid(padding=(0, 2))
        reasons.add_column(no_wrap=True)
        reasons.add_column()
        for reason in decision.reasons:
            body = Text()
            body.append(reason.rule, style="bold")
            body.append(f": {reason.message}")
            if reason.citation:
                body.append(f" ({reason.citation})", style="italic")
            body.append(f"\n{reason.source or 'the opt-in rule of the engine'}", style="dim")
            reasons.add_row(Text(" " + reason.effect, style=_effect_style(reason.effect)), body)
        parts.append(reasons)

    policy = Text()
    policy.append(f"policy {decision.policy.version}", style="dim")
    if decision.policy.contracts:
        policy.append(" · contracts: " + ", ".join(decision.policy.contracts), style="dim")
    if decision.policy.jurisdictions:
        policy.append(" · jurisdictions: " + ", ".join(decision.policy.jurisdictions), style="dim")
    if decision.policy.assumed:
        policy.append(" · assumed: " + ", ".join(decision.policy.assumed), style="yellow")
    parts.append(policy)
    return Group(*parts)


def eval_summary(counts: dict[str, int], bad: int) -> Text:
    """`4 uses: 1 allow, 2 pay, 1 deny` and how many could not be decided."""
    total = sum(counts.values()) + bad
    text = Text(plural(total, "use") + ":", style="bold")
    shown = [(name, counts.get(name, 0)) for name in ("allow", "pay", "deny")]
    for index, (name, count) in enumerate(shown):
        text.append("," if index else "")
        text.append(f" {count} {name}", style=DECISION_STYLES[name] if count else "dim")
    if bad:
        text.append(f", {bad} not decided (bad input)", style="bold red")
    return text
