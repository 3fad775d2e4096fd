"""An ODRL 2.2 policy (JSON-LD, compact form) as a clause contract.

The contract is built as AST nodes and written by the formatter's own functions, then laid
out with `format_text`: the text parses and checks like any hand-written contract. Every
problem in the file is reported with the JSON Pointer of the value at fault; everything
that is read but cannot be expressed is listed in `notes`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .. import ast
from ..diagnostics import Span
from ..formatter import (
    FormatError,
    expr_text,
    format_text,
    header_tokens,
    layout,
    string_text,
)
from ..identifiers import PARTY_SCHEMES, WORK_SCHEMES, id_problem
from ..json_input import JSONProblems, pointer_part, read_json
from ..parser import parse
from .profile import (
    AI_ACTIONS,
    ALL_WORKS,
    CATALOGUE_OF,
    CONTRACT_URN,
    CURRENCY_IRIS,
    ISO_4217_URN,
    MAX_POLICY_BYTES,
    MAX_RULES,
    MINING_PURPOSES,
    NAMESPACE,
    ODRL_USE,
    TDM_MINE,
    TDMREP_NAMESPACE,
    OdrlError,
    term,
)

_AT = Span("<odrl>", 1, 1)
_POLICY_TYPES = frozenset(
    {
        "Offer",
        "Agreement",
        "Set",
        "Policy",
        "odrl:Offer",
        "odrl:Agreement",
        "odrl:Set",
        "odrl:Policy",
    }
)
_CURRENCY_OF_IRI = {iri: code for code, iri in CURRENCY_IRIS.items()}
_CODE = re.compile(r"^[A-Z]{3}$")
_SLUG = re.compile(r"[^a-z0-9]+")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class Imported:
    """The clause text of an imported policy and what could not be expressed in it."""

    text: str
    name: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Rule:
    kind: str  # permission | prohibition | obligation | duty
    value: dict[str, Any]
    pointer: str
    seq: int
    purposes: tuple[str, ...] = ()  # a duty: the purposes of the permission it belongs to


def _local(value: str) -> str:
    """`cl:training`, `https://clausula.dev/ns/odrl#training`, `odrl:use` → the bare name."""
    for prefix in ("cl:", NAMESPACE, "odrl:", "http://www.w3.org/ns/odrl/2/"):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


class _Reader:
    def __init__(
        self,
        policy: Any,
        *,
        licensee: str | None,
        effective: dt.date | None,
        parties: dict[str, str],
        purposes: frozenset[str],
    ) -> None:
        self.policy = policy
        self.licensee = licensee
        self.effective = effective
        self.parties = parties
        self.purposes = purposes
        self.problems: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.uid = ""

    # ------------------------------------------------------------- helpers

    def fail(self, pointer: str, message: str) -> None:
        self.problems.append((pointer, message))

    def note(self, pointer: str, message: str) -> None:
        self.notes.append(f"{pointer or '/'}: {message}")

    def iri(self, value: Any, pointer: str) -> str | None:
        if isinstance(value, dict):
            inner = value.get("uid", value.get("@id"))
            return self.iri(inner, pointer + pointer_part("uid" if "uid" in value else "@id"))
        if isinstance(value, str) and value.strip():
            return value
        self.fail(pointer, "expected an IRI (a string)")
        return None

    def party(self, value: Any, pointer: str) -> str | None:
        if value is None:
            self.fail(pointer, "the policy names no party here (an IRI is needed)")
            return None
        iri = self.iri(value, pointer)
        if iri is None:
            return None
        if iri in self.parties:
            return self.parties[iri]
        if id_problem(iri, PARTY_SCHEMES) is None:
            return iri
        slug = _SLUG.sub("-", iri.lower().split("://", 1)[-1]).strip("-")[:60].strip("-")
        if not slug:
            self.fail(pointer, f"`{iri}` cannot be named as a party")
            return None
        self.note(pointer, f"the party `{iri}` is named party:{slug} (map it with --party)")
        return f"party:{slug}"

    def parse_expr(self, text: Any, pointer: str) -> ast.Expr | None:
        if not isinstance(text, str) or not text.strip() or "\n" in text or "\r" in text:
            self.fail(pointer, "expected a condition in clause syntax, on one line")
            return None
        source = _mini(f"  define odrl_expression = {text}")
        block = source.blocks[0] if source is not None and len(source.blocks) == 1 else None
        if block is None or len(block.definitions) != 1 or block.provisions or block.parameters:
            self.fail(pointer, f"`{text}` is not an expression of the clause language")
            return None
        return block.definitions[0].value

    def parse_effect(self, text: Any, pointer: str) -> ast.AnyEffect | None:
        if not isinstance(text, str) or not text.strip() or "\n" in text or "\r" in text:
            self.fail(pointer, "expected an effect in clause syntax, on one line")
            return None
        source = _mini(f"  clause 1\n    {text}")
        block = source.blocks[0] if source is not None and len(source.blocks) == 1 else None
        if (
            block is None
            or len(block.provisions) != 1
            or len(block.provisions[0].effects) != 1
            or block.provisions[0].when
            or block.provisions[0].unless
            or block.provisions[0].notwithstanding
            or block.provisions[0].cite is not None
        ):
            self.fail(pointer, f"`{text}` is not one effect of the clause language")
            return None
        return block.provisions[0].effects[0]

    def purpose_of_action(self, action: Any, pointer: str) -> tuple[str, ...] | None:
        """The purposes an action names; None (and a note) for an action outside our uses."""
        if isinstance(action, list):
            if len(action) != 1:
                self.fail(pointer, "a rule has exactly one action")
                return None
            return self.purpose_of_action(action[0], pointer + "/0")
        if isinstance(action, dict):
            value = action.get("rdf:value", action.get("@id"))
            if isinstance(value, dict):
                value = value.get("@id")
            return self.purpose_of_action(value, pointer + "/rdf:value")
        if not isinstance(action, str):
            self.fail(pointer, "expected an action (a string)")
            return None
        if action in (TDM_MINE, TDMREP_NAMESPACE + "mine"):
            return MINING_PURPOSES
        name = _local(action)
        if name == ODRL_USE:
            return tuple(p for p in AI_ACTIONS if p in self.purposes) + tuple(
                sorted(self.purposes - set(AI_ACTIONS))
            )
        if name in self.purposes:
            return (name,)
        self.note(pointer, f"the action `{action}` is not an AI use of the profile: not imported")
        return None

    # ------------------------------------------------------------- constraints

    def constraints(self, rule: _Rule) -> tuple[list[ast.Expr], bool] | None:
        """The conditions of a rule's own constraints (not the term and territory)."""
        raw = rule.value.get("constraint", [])
        pointer = rule.pointer + "/constraint"
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list):
            self.fail(pointer, "expected a list of constraints")
            return None
        out: list[ast.Expr] = []
        for index, item in enumerate(raw):
            where = f"{pointer}/{index}"
            if not isinstance(item, dict):
                self.fail(where, "expected a constraint (an object)")
                return None
            left = item.get("leftOperand")
            if not isinstance(left, str):
                if "and" in item or "or" in item or "xone" in item or "andSequence" in item:
                    self.note(where, "logical constraints are not imported: the rule is left out")
                    return None
                self.fail(where + "/leftOperand", "expected a left operand")
                return None
            name = _local(left)
            if name in ("dateTime", "spatial"):
                continue  # the contract's term and territory, read once for the whole policy
            if name == "purpose":
                purposes = self.purpose_operand(item, where)
                if purposes is None:
                    return None
                path = ast.Path(_AT, ("use", "purpose"))
                names = tuple(ast.Name(_AT, p) for p in purposes)
                if len(names) == 1:
                    out.append(ast.Compare(_AT, "is", path, names[0]))
                else:
                    out.append(ast.Compare(_AT, "in", path, ast.SetLit(_AT, names)))
                continue
            if left == term("condition") or left == NAMESPACE + "condition":
                expr = self.parse_expr(item.get("rightOperand"), where + "/rightOperand")
                if expr is None:
                    return None
                out.append(expr)
                continue
            self.note(where, f"the constraint on `{left}` has no equivalent: the rule is left out")
            return None
        return out, True

    def purpose_operand(self, item: dict[str, Any], where: str) -> list[str] | None:
        operator = _local(str(item.get("operator", "")))
        right = item.get("rightOperand")
        values = right if isinstance(right, list) else [right]
        if operator not in ("eq", "isAnyOf", "isA") or not values:
            self.note(
                where, f"the purpose operator `{operator}` is not imported: the rule is left out"
            )
            return None
        names: list[str] = []
        for index, value in enumerate(values):
            if isinstance(value, dict):
                value = value.get("@id", value.get("@value"))
            if not isinstance(value, str):
                self.fail(f"{where}/rightOperand", "expected a purpose")
                return None
            name = _local(value)
            if name not in self.purposes:
                self.note(
                    f"{where}/rightOperand" + (f"/{index}" if isinstance(right, list) else ""),
                    f"the purpose `{value}` is not an AI use of the profile: the rule is left out",
                )
                return None
            names.append(name)
        return names

    # ------------------------------------------------------------- headers

    def licence_constraints(self, rules: list[_Rule]) -> tuple[ast.Header, ast.Header] | None:
        """The term and territory: the `dateTime` and `spatial` constraints, which must be
        the same on every permission."""
        seen: tuple[str, Any] | None = None
        found: list[dict[str, Any]] = []
        pointer_found = ""
        for rule in rules:
            if rule.kind != "permission":
                continue
            raw = rule.value.get("constraint", [])
            raw = [raw] if isinstance(raw, dict) else raw
            mine = (
                [
                    c
                    for c in raw
                    if isinstance(c, dict)
                    and isinstance(c.get("leftOperand"), str)
                    and _local(c["leftOperand"]) in ("dateTime", "spatial")
                ]
                if isinstance(raw, list)
                else []
            )
            key = ("", repr(sorted(repr(c) for c in mine)))
            if seen is None:
                seen, found, pointer_found = key, mine, rule.pointer
            elif key != seen:
                self.fail(
                    rule.pointer + "/constraint",
                    f"its term or territory differs from {pointer_found}'s: a contract has one "
                    "term and one territory",
                )
                return None
        start, end = self.effective, None
        names: list[str] = ["worldwide"]
        excepted: list[str] = []
        base = pointer_found + "/constraint"
        for item in found:
            raw = rule_index(found, item)
            where = f"{base}/{raw}"
            operator = _local(str(item.get("operator", "")))
            right = item.get("rightOperand")
            if _local(item["leftOperand"]) == "dateTime":
                day = _day(right)
                if day is None:
                    self.fail(where + "/rightOperand", "expected a date (YYYY-MM-DD)")
                    return None
                if operator in ("gteq", "gt"):
                    start = day + dt.timedelta(days=1) if operator == "gt" else day
                elif operator in ("lteq", "lt"):
                    end = day - dt.timedelta(days=1) if operator == "lt" else day
                else:
                    self.fail(
                        where + "/operator", f"the date operator `{operator}` is not supported"
                    )
                    return None
                continue
            codes = self.territories(right, where + "/rightOperand")
            if codes is None:
                return None
            if operator in ("eq", "isAnyOf", "isPartOf", "isA"):
                names = codes
            elif operator in ("neq", "isNoneOf"):
                excepted = codes
            else:
                self.fail(
                    where + "/operator", f"the territory operator `{operator}` is not supported"
                )
                return None
        if start is None:
            self.fail(
                base if found else "",
                "the policy has no start date (a `dateTime` `gteq` constraint): pass --effective",
            )
            return None
        effective = ast.Header(
            "effective",
            _AT,
            (ast.DateLit(_AT, start), ast.DateLit(_AT, end) if end is not None else None),
        )
        territory = ast.Header(
            "territory",
            _AT,
            (
                tuple(ast.TerritoryLit(_AT, c) for c in names),
                tuple(ast.TerritoryLit(_AT, c) for c in excepted),
            ),
        )
        return effective, territory

    def territories(self, right: Any, pointer: str) -> list[str] | None:
        values = right if isinstance(right, list) else [right]
        codes: list[str] = []
        for index, value in enumerate(values):
            if isinstance(value, dict):
                value = value.get("@id", value.get("@value"))
            if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{1,19}", value):
                where = pointer + (f"/{index}" if isinstance(right, list) else "")
                self.fail(where, "expected a territory: an ISO 3166 code or a group name")
                return None
            codes.append(value)
        return codes

    def scope(self, target: Any, pointer: str) -> ast.Header | None:
        if target is None or target == ALL_WORKS:
            if target is None:
                self.note(pointer, "no target: the contract's scope is all works")
            return ast.Header("scope", _AT, ("all", ()))
        if isinstance(target, dict) and isinstance(target.get("uid"), str):
            uid = target["uid"]
            if uid.startswith(CATALOGUE_OF):
                party = uid[len(CATALOGUE_OF) :]
                problem = id_problem(party, PARTY_SCHEMES)
                if problem is not None:
                    self.fail(pointer + "/uid", problem)
                    return None
                return ast.Header("scope", _AT, ("catalogue", (ast.PartyLit(_AT, party),)))
            target = uid
        targets = target if isinstance(target, list) else [target]
        if not targets:
            self.fail(pointer, "an empty list of targets")
            return None
        works: list[str] = []
        for index, item in enumerate(targets):
            where = pointer + (f"/{index}" if isinstance(target, list) else "")
            iri = self.iri(item, where)
            if iri is None:
                return None
            if id_problem(iri, WORK_SCHEMES) is not None:
                self.note(
                    where, f"the target `{iri}` is not a work id: the contract's scope is all works"
                )
                return ast.Header("scope", _AT, ("all", ()))
            works.append(iri)
        return ast.Header("scope", _AT, ("works", tuple(ast.PartyLit(_AT, w) for w in works)))

    # ------------------------------------------------------------- rules

    def rules(self) -> list[_Rule]:
        out: list[_Rule] = []
        count = 0
        for kind in ("permission", "prohibition", "obligation"):
            raw = self.policy.get(kind, [])
            if isinstance(raw, dict):
                raw = [raw]
            if not isinstance(raw, list):
                self.fail(f"/{kind}", f"expected a list of {kind}s")
                continue
            for index, value in enumerate(raw):
                pointer = f"/{kind}/{index}"
                if not isinstance(value, dict):
                    self.fail(pointer, f"expected a {kind} (an object)")
                    continue
                count += 1
                seq = value.get(term("seq"))
                order = seq if isinstance(seq, int) and not isinstance(seq, bool) else 10**6 + count
                out.append(_Rule(kind, value, pointer, order))
                if kind != "permission":
                    continue
                duties = value.get("duty", [])
                duties = [duties] if isinstance(duties, dict) else duties
                if not isinstance(duties, list):
                    self.fail(pointer + "/duty", "expected a list of duties")
                    continue
                purposes = self.purpose_of_action(value.get("action"), pointer + "/action") or ()
                for d_index, duty in enumerate(duties):
                    if not isinstance(duty, dict):
                        self.fail(f"{pointer}/duty/{d_index}", "expected a duty (an object)")
                        continue
                    count += 1
                    out.append(
                        _Rule("duty", duty, f"{pointer}/duty/{d_index}", 10**6 + count, purposes)
                    )
        if count > MAX_RULES:
            self.fail("", f"{count} rules; the limit is {MAX_RULES}")
        return sorted(out, key=lambda r: r.seq)

    def effects(self, rule: _Rule, licensor: str) -> list[ast.AnyEffect] | None:
        value, pointer = rule.value, rule.pointer
        if rule.kind == "permission":
            purposes = self.purpose_of_action(value.get("action"), pointer + "/action")
            if purposes is None:
                return None
            return [ast.Permit(_AT, tuple(ast.Name(_AT, p) for p in purposes))]
        if rule.kind == "prohibition":
            action = value.get("action")
            message = value.get(term("message"))
            if message is not None and not isinstance(message, str):
                self.fail(pointer + "/" + term("message"), "expected a message (a string)")
                return None
            if message is None and not isinstance(value.get(term("title")), str):
                # The reader of a decision must see where the prohibition comes from.
                message = f"Prohibited by the ODRL policy {self.uid}"
            if isinstance(action, str) and _local(action) == ODRL_USE:
                return [ast.Deny(_AT, message)]
            purposes = self.purpose_of_action(action, pointer + "/action")
            if purposes is None:
                return None
            # A prohibited purpose: denied when the use has it.
            rule.purposes = purposes
            return [ast.Deny(_AT, message)]
        # obligations and duties
        action = value.get("action")
        name = _action_name(action)
        if name == "effect":
            effect = self.parse_effect(value.get(term("effect")), pointer + "/" + term("effect"))
            return None if effect is None else [effect]
        if name == "duty":
            text = value.get(term("text"))
            if not isinstance(text, str) or not text.strip():
                self.fail(pointer + "/" + term("text"), "expected the duty's text")
                return None
            return [ast.Oblige(_AT, text)]
        if name == "compensate":
            return self.compensate(action, value, pointer, licensor)
        if name == "obtainConsent":
            who = value.get("consentingParty")
            party = licensor if who is None else self.party(who, pointer + "/consentingParty")
            if party is None:
                return None
            wanted = value.get(term("for"))
            if wanted is not None:
                purposes = self.purpose_of_action(wanted, pointer + "/" + term("for"))
                if purposes is None:
                    return None
            elif rule.purposes:
                purposes = rule.purposes
            else:
                purposes = ()
            subject = ast.Subject("party", _AT, party=party)
            return [
                ast.RequireConsent(
                    _AT, subject, tuple(ast.Name(_AT, p) for p in purposes) or None, ()
                )
            ]
        self.note(pointer + "/action", f"the duty `{name}` has no equivalent: not imported")
        return None

    def compensate(
        self, action: Any, value: dict[str, Any], pointer: str, licensor: str
    ) -> list[ast.AnyEffect] | None:
        refinements: Any = []
        where = pointer
        if isinstance(action, list) and action and isinstance(action[0], dict):
            refinements, where = action[0].get("refinement", []), pointer + "/action/0/refinement"
        if not refinements:
            refinements, where = value.get("constraint", []), pointer + "/constraint"
        refinements = [refinements] if isinstance(refinements, dict) else refinements
        amount: ast.MoneyLit | None = None
        for index, item in enumerate(refinements if isinstance(refinements, list) else []):
            if isinstance(item, dict) and _local(str(item.get("leftOperand", ""))) == "payAmount":
                amount = self.money(item, f"{where}/{index}")
                if amount is None:
                    return None
        who = value.get("compensatedParty")
        party = licensor if who is None else self.party(who, pointer + "/compensatedParty")
        if party is None:
            return None
        if amount is None:
            # TDMRep's `compensate` states no amount: a duty to agree one, not a payment.
            self.note(pointer, "a compensation without a payAmount: imported as a duty")
            return [ast.Oblige(_AT, f"Compensate {party} (the ODRL policy states no amount)")]
        return [ast.Pay(_AT, amount, ast.Subject("party", _AT, party=party))]

    def money(self, item: dict[str, Any], where: str) -> ast.MoneyLit | None:
        right = item.get("rightOperand")
        raw = right.get("@value") if isinstance(right, dict) else right
        try:
            amount = (
                Decimal(str(raw))
                if isinstance(raw, str | int) and not isinstance(raw, bool)
                else None
            )
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or len(str(raw)) > 30:
            self.fail(
                where + "/rightOperand", 'expected an amount: a decimal number such as "5.00"'
            )
            return None
        unit = item.get("unit")
        code = None
        if isinstance(unit, dict):
            unit = unit.get("@id")
        if isinstance(unit, str):
            code = _CURRENCY_OF_IRI.get(unit)
            if code is None and unit.startswith(ISO_4217_URN):
                code = unit[len(ISO_4217_URN) :]
            if code is None and _CODE.match(unit):
                code = unit
        if code is None or not _CODE.match(code):
            self.fail(where + "/unit", "expected the currency: an ISO 4217 code or its DBpedia IRI")
            return None
        if (operator := _local(str(item.get("operator", "eq")))) and operator != "eq":
            self.fail(where + "/operator", f"a payAmount is `eq` an amount, not `{operator}`")
            return None
        return ast.MoneyLit(_AT, amount, code)

    # ------------------------------------------------------------- the whole

    def read(self) -> tuple[str, str] | None:
        policy = self.policy
        if not isinstance(policy, dict):
            self.fail("", "an ODRL policy is a JSON object")
            return None
        kind = policy.get("@type")
        if not isinstance(kind, str) or kind not in _POLICY_TYPES:
            self.fail("/@type", "expected the type of an ODRL policy: Offer, Agreement or Set")
        uid = policy.get("uid", policy.get("@id"))
        if not isinstance(uid, str) or not uid.strip():
            self.fail("/uid", "an ODRL policy must have a uid (an IRI)")
            return None
        self.uid = uid
        name = (
            uid[len(CONTRACT_URN) :]
            if uid.startswith(CONTRACT_URN)
            else _SLUG.sub("-", uid.lower().split("://", 1)[-1]).strip("-")
        )
        name = name[:80] or "odrl-policy"
        rules = self.rules()
        if self.problems:
            return None
        licensor = self.party(_shared(policy, rules, "assigner"), "/assigner")
        raw_licensee = _shared(policy, rules, "assignee")
        if raw_licensee is None and self.licensee is None:
            self.fail("/assignee", "the policy names no assignee (an Offer): pass --licensee")
        licensee = self.licensee or self.party(raw_licensee, "/assignee")
        scope = self.scope(policy.get("target", _shared(policy, rules, "target")), "/target")
        licence = self.licence_constraints(rules)
        if (
            self.problems
            or licensor is None
            or licensee is None
            or scope is None
            or licence is None
        ):
            return None

        lines: list[str] = []
        title = policy.get(term("title"), policy.get("dc:title", f"Imported from ODRL {uid}"))
        title = title if isinstance(title, str) else f"Imported from ODRL {uid}"
        lines.append(f"contract {string_text(name)} {string_text(title)}")
        for header in (
            ast.Header("licensor", _AT, (ast.PartyLit(_AT, licensor),)),
            ast.Header("licensee", _AT, (ast.PartyLit(_AT, licensee),)),
            *licence,
            scope,
        ):
            lines += layout(header_tokens(header), "  ")
        for text in _strings(policy.get(term("applies"), []), "/" + term("applies"), self):
            expr = self.parse_expr(text[1], text[0])
            if expr is not None:
                lines.append(f"  applies when {expr_text(expr)}")
        self.extensions(policy, lines)

        clauses: dict[str, dict[str, Any]] = {}
        for _number, rule in enumerate(rules, start=1):
            effects = self.effects(rule, licensor)
            if effects is None:
                if rule.kind == "permission":
                    self.note(
                        rule.pointer,
                        "this permission is not imported: no purpose is licensed by it",
                    )
                continue
            conditions = self.constraints(rule)
            if conditions is None:
                continue
            when = list(conditions[0])
            if rule.purposes and rule.kind in ("duty", "prohibition"):
                path = ast.Path(_AT, ("use", "purpose"))
                names = tuple(ast.Name(_AT, p) for p in rule.purposes)
                when.insert(
                    0,
                    ast.Compare(_AT, "is", path, names[0])
                    if len(names) == 1
                    else ast.Compare(_AT, "in", path, ast.SetLit(_AT, names)),
                )
            raw_key = rule.value.get(term("clause"))
            key = (
                raw_key
                if isinstance(raw_key, str) and re.fullmatch(r"\d+(\.\d+)*[a-z]?", raw_key)
                else None
            )
            if key is None:
                key = str(len(clauses) + 1)
                while key in clauses:
                    key += "a"
            entry = clauses.setdefault(key, {"rule": rule, "when": [], "effects": [], "unless": []})
            if entry["rule"] is rule:
                entry["when"] = when
                for index, text in _strings(
                    rule.value.get(term("unless"), []), rule.pointer + "/" + term("unless"), self
                ):
                    expr = self.parse_expr(text, index)
                    if expr is not None:
                        entry["unless"].append(expr)
            elif [expr_text(w) for w in when] != [expr_text(w) for w in entry["when"]]:
                # Same clause key, other conditions: a clause of its own.
                key = f"{key}.{len(clauses) + 1}"
                entry = clauses.setdefault(
                    key, {"rule": rule, "when": when, "effects": [], "unless": []}
                )
            for effect in effects:
                last = entry["effects"][-1] if entry["effects"] else None
                if isinstance(effect, ast.Permit) and isinstance(last, ast.Permit):
                    # `permit a, b` was a permission per purpose: one line again.
                    merged = dict.fromkeys(n.name for n in (*last.purposes, *effect.purposes))
                    entry["effects"][-1] = ast.Permit(_AT, tuple(ast.Name(_AT, n) for n in merged))
                else:
                    entry["effects"].append(effect)
        for key, entry in clauses.items():
            lines.append("")
            rule = entry["rule"]
            title_value = rule.value.get(term("title"))
            head = f"  clause {key}" + (
                f" {string_text(title_value)}" if isinstance(title_value, str) else ""
            )
            lines.append(head)
            cite = rule.value.get(term("cite"))
            if isinstance(cite, str):
                lines.append(f"    cite {string_text(cite)}")
            refs = rule.value.get(term("notwithstanding"))
            if (
                isinstance(refs, list)
                and all(isinstance(r, str) and re.fullmatch(r"\d+(\.\d+)*[a-z]?", r) for r in refs)
                and refs
            ):
                lines.append("    notwithstanding " + ", ".join(f"clause {r}" for r in refs))
            for condition in entry["when"]:
                lines.append(f"    when {expr_text(condition)}")
            for condition in entry["unless"]:
                lines.append(f"    unless {expr_text(condition)}")
            for effect in entry["effects"]:
                lines += layout(_effect_tokens(effect), "    ")
        if self.problems:
            return None
        return name, "\n".join(lines) + "\n"

    def extensions(self, policy: dict[str, Any], lines: list[str]) -> None:
        params = policy.get(term("parameters"), {})
        if not isinstance(params, dict):
            self.fail("/" + term("parameters"), "expected an object of parameters")
            return
        for key, value in params.items():
            where = "/" + term("parameters") + pointer_part(key)
            if not _NAME.match(key) or not isinstance(value, str) or "\n" in value:
                self.fail(where, "expected `name: value` in clause syntax")
                continue
            source = _mini(f"  parameter {key} = {value}")
            block = source.blocks[0] if source is not None and len(source.blocks) == 1 else None
            if block is None or len(block.parameters) != 1 or block.provisions or block.definitions:
                self.fail(where, f"`{value}` is not a parameter value")
                continue
            lines.append(f"  parameter {key} = {value}")
        for key, value in _items(
            policy.get(term("definitions"), {}), "/" + term("definitions"), self
        ):
            expr = self.parse_expr(value, "/" + term("definitions") + pointer_part(key))
            if expr is not None and _NAME.match(key):
                lines.append(f"  define {key} = {expr_text(expr)}")
        for key, value in _items(policy.get(term("facts"), {}), "/" + term("facts"), self):
            where = "/" + term("facts") + pointer_part(key)
            if (
                not _NAME.match(key)
                or not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) for v in value)
                or not _NAME.match(value[0])
            ):
                self.fail(where, "expected [type, description]")
                continue
            doc = f" {string_text(value[1])}" if len(value) > 1 else ""
            lines.append(f"  fact {key}: {value[0]}{doc}")


def _effect_tokens(effect: ast.AnyEffect) -> Any:
    from ..formatter import effect_tokens

    return effect_tokens(effect)


def _items(value: Any, pointer: str, reader: _Reader) -> list[tuple[str, Any]]:
    if not isinstance(value, dict):
        reader.fail(pointer, "expected an object")
        return []
    return list(value.items())


def _strings(value: Any, pointer: str, reader: _Reader) -> list[tuple[str, Any]]:
    if not isinstance(value, list):
        reader.fail(pointer, "expected a list of conditions")
        return []
    return [(f"{pointer}/{i}", v) for i, v in enumerate(value)]


def rule_index(items: list[dict[str, Any]], item: dict[str, Any]) -> int:
    return next(i for i, x in enumerate(items) if x is item)


def _action_name(action: Any) -> str:
    if isinstance(action, list) and action:
        action = action[0]
    if isinstance(action, dict):
        action = action.get("rdf:value", action.get("@id"))
        if isinstance(action, dict):
            action = action.get("@id")
    return _local(action) if isinstance(action, str) else ""


def _shared(policy: dict[str, Any], rules: list[_Rule], key: str) -> Any:
    """A property of the policy, or the one value its rules share (ODRL's compact form)."""
    if key in policy:
        return policy[key]
    values = [r.value[key] for r in rules if key in r.value]
    return values[0] if values and all(v == values[0] for v in values) else None


def _day(value: Any) -> dt.date | None:
    raw = value.get("@value") if isinstance(value, dict) else value
    if not isinstance(raw, str):
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        return None


_MINI = (
    'contract "odrl-fragment" "fragment"\n  licensor party:a\n  licensee party:b\n'
    "  effective 2026-01-01\n  territory worldwide\n  scope all works\n"
)


def _mini(body: str) -> ast.SourceFile | None:
    source, diagnostics = parse(_MINI + body + "\n", "<odrl>")
    return None if any(d.severity == "error" for d in diagnostics) else source


def import_policy(
    policy: Any,
    *,
    licensee: str | None = None,
    effective: dt.date | None = None,
    parties: dict[str, str] | None = None,
    purposes: frozenset[str] = frozenset(AI_ACTIONS),
    check: bool = True,
) -> Imported:
    """An ODRL policy (parsed JSON) as a clause contract. Raises `OdrlError` with every
    problem, each at its JSON Pointer. With `check`, the contract is also checked against
    the standard vocabulary (turn it off for purposes a vocabulary of your own declares)."""
    reader = _Reader(
        policy, licensee=licensee, effective=effective, parties=parties or {}, purposes=purposes
    )
    result = reader.read()
    if result is None:
        raise OdrlError(reader.problems or [("", "the policy cannot be imported")])
    name, text = result
    try:
        formatted = format_text(text, f"{name}.clause")
    except FormatError as error:  # a value the checks above let through: still located
        raise OdrlError([("", f"the policy cannot be written as a contract: {error}")]) from None
    if check:
        from ..policy_set import check_sources

        errors = [d for d in check_sources({f"{name}.clause": formatted}) if d.severity == "error"]
        if errors:  # e.g. a territory code that is no country: the contract would not load
            raise OdrlError(
                [
                    ("", f"the imported contract does not check: {d.span}: {d.message}")
                    for d in errors
                ]
            )
    return Imported(formatted, name, reader.notes)


def import_text(
    source: str | bytes,
    **options: Any,
) -> Imported:
    """`import_policy` of JSON text, with the limits of `MAX_POLICY_BYTES` and JSON input."""
    size = len(source.encode("utf-8") if isinstance(source, str) else source)
    if size > MAX_POLICY_BYTES:
        raise OdrlError([("", f"the file has {size} bytes; the limit is {MAX_POLICY_BYTES}")])
    try:
        value, problems = read_json(source)
    except JSONProblems as error:
        raise OdrlError(error.problems) from None
    if problems:
        raise OdrlError(problems)
    return import_policy(value, **options)


def import_file(path: str | Path, **options: Any) -> Imported:
    """`import_text` of a file."""
    return import_text(Path(path).read_bytes(), **options)
