"""A clause contract as an ODRL 2.2 `Agreement` (JSON-LD).

What maps to ODRL's core: the parties (assigner, assignee), the scope (target), the term
(`dateTime` constraints), the territory (`spatial`), `permit` (a permission per purpose,
the action a profile term), `deny` (a prohibition), a fixed payment to a party (a
`compensate` duty refined by `payAmount` and its `unit`), a party's consent
(`obtainConsent`), a duty (`cl:duty`), and conditions on the purpose (`purpose`).
What does not — formulas, each artist's consent, formalities, `notwithstanding`,
`unless`, other conditions, parameters and definitions — is written in the profile's
extension terms in clause syntax, and each is listed in `notes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import ast
from ..dates import term_end
from ..diagnostics import PolicyError
from ..formatter import effect_text, expr_text, literal_text
from ..parser import parse
from .profile import (
    ALL_WORKS,
    CATALOGUE_OF,
    CONTEXT,
    CONTRACT_URN,
    CURRENCY_IRIS,
    ISO_4217_URN,
    PROFILE,
    term,
)


@dataclass
class Exported:
    """An ODRL policy and what could only be written as a profile extension."""

    policy: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def currency_iri(code: str) -> str:
    """The `unit` of a payment in `code`: DBpedia's resource, as ODRL's examples, else a URN."""
    return CURRENCY_IRIS.get(code, ISO_4217_URN + code)


def export_file(path: str | Path) -> list[Exported]:
    """Every contract of a clause file as an ODRL policy. Raises `PolicyError` if it
    does not parse."""
    path = Path(path)
    source, diagnostics = parse(path.read_text(encoding="utf-8"), path.name)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise PolicyError(errors)
    return [export_contract(b) for b in source.blocks if b.kind == "contract"]


def _header(block: ast.Block, kind: str) -> ast.Header | None:
    return next((h for h in block.headers if h.kind == kind), None)


def _party(block: ast.Block, kind: str) -> str | None:
    header = _header(block, kind)
    if header is None:
        return None
    value = header.values[0]
    return value.id if isinstance(value, ast.PartyLit) else None


def _target(block: ast.Block) -> Any:
    header = _header(block, "scope")
    if header is None:
        return ALL_WORKS
    what, ids = header.values
    assert isinstance(ids, tuple)
    if what == "catalogue":
        return {"@type": "AssetCollection", "uid": CATALOGUE_OF + ids[0].id}
    if what == "works":
        return [i.id for i in ids]
    return ALL_WORKS


def _term(block: ast.Block) -> list[dict[str, Any]]:
    header = _header(block, "effective")
    if header is None:
        return []
    start, end = header.values
    assert isinstance(start, ast.DateLit)
    out = [_date_constraint("gteq", start.value.isoformat())]
    if isinstance(end, ast.DurationLit):
        out.append(_date_constraint("lteq", term_end(start.value, end.count, end.unit).isoformat()))
    elif isinstance(end, ast.DateLit):
        out.append(_date_constraint("lteq", end.value.isoformat()))
    return out


def _date_constraint(operator: str, day: str) -> dict[str, Any]:
    return {
        "leftOperand": "dateTime",
        "operator": operator,
        "rightOperand": {"@value": day, "@type": "xsd:date"},
    }


def _territory(block: ast.Block) -> list[dict[str, Any]]:
    header = _header(block, "territory")
    if header is None:
        return []
    names, excepted = header.values
    assert isinstance(names, tuple) and isinstance(excepted, tuple)
    codes = [n.code for n in names]
    out: list[dict[str, Any]] = []
    if codes != ["worldwide"]:
        out.append({"leftOperand": "spatial", "operator": "isAnyOf", "rightOperand": codes})
    if excepted:
        out.append(
            {
                "leftOperand": "spatial",
                "operator": "isNoneOf",
                "rightOperand": [n.code for n in excepted],
            }
        )
    return out


def _purposes(condition: ast.Expr) -> list[str] | None:
    """The purposes of `use.purpose is X`, `use.purpose in (X, Y)` or `… or …` of these,
    else None."""
    if isinstance(condition, ast.Logical) and condition.op == "or":
        found: list[str] = []
        for operand in condition.operands:
            names = _purposes(operand)
            if names is None:
                return None
            found += names
        return found
    if not isinstance(condition, ast.Compare) or not isinstance(condition.left, ast.Path):
        return None
    if condition.left.dotted != "use.purpose":
        return None
    if condition.op == "is" and isinstance(condition.right, ast.Name):
        return [condition.right.name]
    if condition.op == "in" and isinstance(condition.right, ast.SetLit):
        names = [i.name for i in condition.right.items if isinstance(i, ast.Name)]
        if len(names) == len(condition.right.items):
            return names
    return None


class _Writer:
    def __init__(self, block: ast.Block) -> None:
        self.block = block
        self.notes: list[str] = []
        self.seq = 0

    def note(self, where: str, what: str) -> None:
        self.notes.append(f"{where}: {what}")

    def conditions(self, provision: ast.Provision, where: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for condition in provision.when:
            purposes = _purposes(condition)
            if purposes is not None:
                out.append(
                    {
                        "leftOperand": "purpose",
                        "operator": "eq" if len(purposes) == 1 else "isAnyOf",
                        "rightOperand": term(purposes[0])
                        if len(purposes) == 1
                        else [term(p) for p in purposes],
                    }
                )
                continue
            text = expr_text(condition)
            self.note(where, f"condition `{text}` has no ODRL operand: written as cl:condition")
            out.append({"leftOperand": term("condition"), "operator": "eq", "rightOperand": text})
        return out

    def rule(self, provision: ast.Provision, where: str, body: dict[str, Any]) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "uid": f"{CONTRACT_URN}{self.block.name}#{provision.key}-{self.seq}",
            **body,
        }
        rule[term("clause")] = provision.key
        rule[term("seq")] = self.seq
        self.seq += 1
        if provision.title is not None:
            rule[term("title")] = provision.title
        if provision.cite is not None:
            rule[term("cite")] = provision.cite
        constraints = rule.get("constraint", []) + self.conditions(provision, where)
        if constraints:
            rule["constraint"] = constraints
        if provision.unless:
            texts = [expr_text(c) for c in provision.unless]
            rule[term("unless")] = texts
            self.note(where, "`unless` has no ODRL equivalent: written as cl:unless")
        if provision.notwithstanding:
            rule[term("notwithstanding")] = [r.key for r in provision.notwithstanding]
            self.note(
                where, "`notwithstanding` has no ODRL equivalent: written as cl:notwithstanding"
            )
        return rule

    def effect(
        self, provision: ast.Provision, effect: ast.AnyEffect, out: dict[str, list[dict[str, Any]]]
    ) -> None:
        where = f"§{provision.key}"
        licence = _term(self.block) + _territory(self.block)
        body: dict[str, Any]
        if isinstance(effect, ast.Permit):
            for name in effect.purposes:
                body = {"action": term(name.name)}
                if licence:
                    body["constraint"] = list(licence)
                out["permission"].append(self.rule(provision, where, body))
            return
        if isinstance(effect, ast.Deny):
            body = {"action": "use"}
            if effect.message is not None:
                body[term("message")] = effect.message
            out["prohibition"].append(self.rule(provision, where, body))
            return
        if isinstance(effect, ast.Oblige) and effect.met is None:
            body = {"action": term("duty"), term("text"): effect.text}
            out["obligation"].append(self.rule(provision, where, body))
            return
        if (
            isinstance(effect, ast.Pay)
            and isinstance(effect.amount, ast.MoneyLit)
            and effect.payee is not None
            and effect.payee.kind == "party"
        ):
            amount = effect.amount
            body = {
                "action": [
                    {
                        "rdf:value": {"@id": "odrl:compensate"},
                        "refinement": [
                            {
                                "leftOperand": "payAmount",
                                "operator": "eq",
                                "rightOperand": {
                                    "@value": literal_text(amount).split()[0],  # type: ignore[union-attr]
                                    "@type": "xsd:decimal",
                                },
                                "unit": currency_iri(amount.currency),
                            }
                        ],
                    }
                ],
                "compensatedParty": effect.payee.party,
            }
            out["obligation"].append(self.rule(provision, where, body))
            return
        if (
            isinstance(effect, ast.RequireConsent)
            and effect.subject.kind == "party"
            and effect.subject.where is None
            and not effect.formalities
            and effect.cap is None
            and effect.minors is None
            and isinstance(effect.purposes, tuple)
            and effect.purposes
        ):
            for name in effect.purposes:
                body = {
                    "action": "obtainConsent",
                    "consentingParty": effect.subject.party,
                    term("for"): term(name.name),
                }
                out["obligation"].append(self.rule(provision, where, body))
            return
        text = effect_text(effect)
        self.note(where, f"`{text}` has no ODRL equivalent: written as cl:effect")
        out["obligation"].append(
            self.rule(provision, where, {"action": term("effect"), term("effect"): text})
        )

    def policy(self) -> dict[str, Any]:
        block = self.block
        policy: dict[str, Any] = {
            "@context": CONTEXT,
            "@type": "Agreement",
            "uid": CONTRACT_URN + block.name,
            "profile": PROFILE,
        }
        if block.title is not None:
            policy[term("title")] = block.title
        for kind, key in (("licensor", "assigner"), ("licensee", "assignee")):
            party = _party(block, kind)
            if party is not None:
                policy[key] = party
        policy["target"] = _target(block)
        if block.parameters:
            policy[term("parameters")] = {
                p.name: expr_text(p.value)
                + (f", above {literal_text(p.above_whole)} intended" if p.above_whole else "")
                for p in block.parameters
            }
            self.note("parameters", "parameters have no ODRL equivalent: written as cl:parameters")
        if block.definitions:
            policy[term("definitions")] = {d.name: expr_text(d.value) for d in block.definitions}
            self.note(
                "definitions", "definitions have no ODRL equivalent: written as cl:definitions"
            )
        if block.facts:
            policy[term("facts")] = {
                f.name: [f.type_name, f.doc] if f.doc is not None else [f.type_name]
                for f in block.facts
            }
            self.note("facts", "facts have no ODRL equivalent: written as cl:facts")
        if block.applies:
            policy[term("applies")] = [expr_text(c) for c in block.applies]
            self.note(
                "applies when", "`applies when` has no ODRL equivalent: written as cl:applies"
            )
        rules: dict[str, list[dict[str, Any]]] = {
            "permission": [],
            "prohibition": [],
            "obligation": [],
        }
        for provision in block.provisions:
            for effect in provision.effects:
                self.effect(provision, effect, rules)
        for key, items in rules.items():
            if items:
                policy[key] = items
        return policy


def export_contract(block: ast.Block) -> Exported:
    """One contract block as an ODRL `Agreement`, with what was written as extensions."""
    writer = _Writer(block)
    policy = writer.policy()
    return Exported(policy, writer.notes)
