"""`clausula render`: a contract or pack as a document for someone who never reads the syntax.

One heading per block and per clause or rule; the block's terms and its parameters as
tables; every condition and formula in words and in notation (the notation as `fmt`
writes it); citations as numbered footnotes; parties by name with their id, a term with
its last day. Comments are the authors' notes and are never shown. Markdown, or HTML in
one self-contained file with a little CSS.

Both formats are made from one list of elements (headings, paragraphs, lists, tables), so
they always say the same thing. Inline text uses `backticks` for notation; a footnote is a
field of its heading, never `[^n]` in text. Both writers escape everything else, so that
HTML or footnote syntax in an author's title or citation is shown, never obeyed.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, assert_never

from . import ast, consenters
from .dates import DateOutOfRange, term_end
from .formatter import (
    FORMALITY_ORDER,
    decimal_text,
    duration_text,
    expr_text,
    literal_text,
)

# ----------------------------------------------------------------- expressions in words

_PATHS = {
    "use.revenue": "the use's revenue",
    "use.generations": "the number of generations",
    "use.streams": "the number of streams",
    "use.purpose": "the purpose of the use",
    "use.territory": "the territory of the use",
    "use.date": "the date of the use",
    "use.context": "the contexts the use claims",
    "use.works": "the works used",
    "use.artists": "the artists whose voice, likeness or style the output reproduces",
    "use.attribution": "the artists in the attribution",
    "use.touched": (
        "everyone the use touches (the performers of its works, the artists it names and "
        "the artists its output is attributed to)"
    ),
    "use.licensee": "the licensee",
    "use.commercial": "the use is commercial",
    "use.output.synthetic_audio": "the output is synthetic audio",
    "use.output.digital_replica": "the output is a digital replica",
    "use.output.public": "the output is made public",
    "use.output.names_artist": "the output names the artist",
    "use.output.labelled_ai": "the output is labelled as AI-generated",
    "artist.deceased": "the artist is deceased",
    "artist.minor": "the artist is a minor",
    "performer.deceased": "the performer is deceased",
    "performer.minor": "the performer is a minor",
    "work.tdm_reserved": "its rights holder reserved text and data mining",
}
_FORMALITY_WORDS = {
    "in_writing": "in writing",
    "signed": "signed",
    "specific_description": "with a specific description of the uses",
    "with_counsel": "with counsel",
    "terms_conspicuous": "with conspicuous terms",
    "separately_signed": "separately signed",
    "collective_bargaining": "under a collective bargaining agreement",
    "court_approved": "approved by a court",
}
_NAMES = {
    "weight": "the artist's attribution weight",
    "share": "an equal share",
    "artist": "the artist",
    "performer": "the performer",
    "work": "the work",
}
_UNITS = {
    "generation": "generation",
    "generations": "generation",
    "stream": "stream",
    "streams": "stream",
    "work": "work used",
    "works": "work used",
    "artist": "artist",
    "artists": "artist",
}
_COMPARE = {
    "is": "is",
    "is not": "is not",
    "in": "is in",
    "not in": "is not in",
    "=": "equals",
    "!=": "does not equal",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_DATE_COMPARE = {"<": "is before", "<=": "is on or before", ">": "is after", ">=": "is on or after"}


def _spoken(name: str) -> str:
    return name.replace("_", " ")


@dataclass
class _Names:
    """What the names of a block stand for: parameters (values) and definitions."""

    parameters: dict[str, str] = field(default_factory=dict)
    definitions: set[str] = field(default_factory=set)
    parties: Mapping[str, str] = field(default_factory=dict)

    def party(self, party_id: str) -> str:
        """A party by name with its id (`Example Label (party:example-label)`), or its id
        alone when the data does not name it."""
        name = self.parties.get(party_id)
        return f"{name} ({party_id})" if name else party_id


def words(node: ast.Expr, names: _Names | None = None) -> str:
    """An expression in English words."""
    names = names or _Names()
    if isinstance(node, ast.Name):
        if node.name in names.parameters:
            return f"{_spoken(node.name)} ({names.parameters[node.name]})"
        if node.name in names.definitions:
            return f"“{_spoken(node.name)}”"
        return _NAMES.get(node.name, _spoken(node.name))
    if isinstance(node, ast.Path):
        return _path_words(node.dotted)
    text = literal_text(node)
    if text is not None:
        return text
    if isinstance(node, ast.Binary):
        op = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}[node.op]
        return f"{_group(node.left, names)} {op} {_group(node.right, names)}"
    if isinstance(node, ast.Negate):
        return f"minus {_group(node.operand, names)}"
    if isinstance(node, ast.Compare):
        right = node.right
        if node.op in ("in", "not in") and isinstance(right, ast.SetLit):
            one = "one of" if node.op == "in" else "none of"
            items = ", ".join(words(i, names) for i in right.items)
            return f"{words(node.left, names)} is {one} {items}"
        dated = any(
            isinstance(side, ast.DateLit)
            or (isinstance(side, ast.Path) and side.parts[-1].endswith("date"))
            for side in (node.left, node.right)
        )
        said = _DATE_COMPARE.get(node.op, _COMPARE[node.op]) if dated else _COMPARE[node.op]
        return f"{words(node.left, names)} {said} {words(right, names)}"
    if isinstance(node, ast.Logical):
        parts = [
            f"({words(o, names)})" if isinstance(o, ast.Logical | ast.Not) else words(o, names)
            for o in node.operands
        ]
        return f" {node.op} ".join(parts)
    if isinstance(node, ast.Not):
        return f"it is not so that {words(node.operand, names)}"
    if isinstance(node, ast.SetLit):
        return "(" + ", ".join(words(i, names) for i in node.items) + ")"
    if isinstance(node, ast.Call):
        args = [_group(a, names) for a in node.args]
        joined = ", ".join(args[:-1]) + " and " + args[-1] if len(args) > 1 else "".join(args)
        if node.function == "max":
            return f"the greater of {joined}"
        if node.function == "min":
            return f"the lesser of {joined}"
        if node.function == "count":
            return f"the number of {joined}"
        return f"{_spoken(node.function)} of {joined}"
    if isinstance(node, ast.PerUnit):
        unit = _UNITS.get(node.unit, node.unit)
        return f"{_group(node.rate, names)} per {unit}"
    if isinstance(node, ast.Tiered):
        tiers = []
        for tier in node.tiers:
            rate = words(tier.rate, names)
            if tier.limit is None:
                tiers.append(f"above that at {rate}")
            else:
                tiers.append(f"up to {decimal_text(tier.limit)} at {rate}")
        return f"{words(node.base, names)} in tiers ({'; '.join(tiers)})"
    if isinstance(node, ast.Quantifier):
        who = "any" if node.kind == "any" else "every"
        return (
            f"{who} {node.variable} in {_path_words(node.path.dotted)} satisfies: "
            f"{words(node.condition, names)}"
        )
    return expr_text(node)  # pragma: no cover


def condition_words(node: ast.Expr, names: _Names | None = None) -> str:
    """A condition in words: a bare fact or definition reads "… holds"."""
    names = names or _Names()
    if isinstance(node, ast.Logical):
        parts = [
            f"({condition_words(o, names)})"
            if isinstance(o, ast.Logical | ast.Not)
            else condition_words(o, names)
            for o in node.operands
        ]
        return f" {node.op} ".join(parts)
    if isinstance(node, ast.Not):
        return f"it is not so that {condition_words(node.operand, names)}"
    if isinstance(node, ast.Name) or (isinstance(node, ast.Path) and node.dotted not in _PATHS):
        return f"{words(node, names)} holds"
    return words(node, names)


def _group(node: ast.Expr, names: _Names) -> str:
    text = words(node, names)
    if isinstance(node, ast.Binary | ast.Logical | ast.Compare | ast.Call | ast.Not):
        return f"({text})"
    return text


def _path_words(dotted: str) -> str:
    if dotted in _PATHS:
        return _PATHS[dotted]
    parts = dotted.split(".")
    if parts[0] == "use" and len(parts) == 3 and parts[1] == "facts":
        return f"the fact “{_spoken(parts[2])}”"
    if parts[0] in ("artist", "performer", "work") and len(parts) == 2:
        return f"the {parts[0]}'s {_spoken(parts[1])}"
    if parts[0] == "use":
        return "the use's " + " ".join(_spoken(p) for p in parts[1:])
    return " ".join(_spoken(p) for p in parts)


def _subject(subject: ast.Subject, names: _Names) -> str:
    if subject.kind == "party":
        text = names.party(subject.party or "")
    else:
        assert subject.path is not None
        place = _path_words(subject.path.dotted)
        if subject.kind == "each_performer":
            text = f"each performer of {place}"
        elif subject.kind == "each_work":
            text = f"each work in {place}"
        elif subject.path.dotted == "use.attribution":
            text = "each artist in the attribution"
        elif subject.path.dotted == "use.touched":
            text = (
                "each artist the use touches (the performers of its works, the artists it "
                "names and the artists its output is attributed to)"
            )
        else:
            text = f"each artist in {place}"
    if subject.where is not None:
        which = "for which" if subject.kind == "each_work" else "for whom"
        text += f" {which} {condition_words(subject.where, names)}"
    return text


def _formalities(groups: tuple[frozenset[str], ...]) -> str:
    options = []
    for group in groups:
        items = [_FORMALITY_WORDS[name] for name, _ in FORMALITY_ORDER if name in group]
        options.append(", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0])
    return " or ".join(options)


def effect_words(effect: ast.AnyEffect, names: _Names) -> list[str]:
    """What an effect does, in sentences (inline markup: `notation`)."""
    if isinstance(effect, ast.Permit):
        return ["Permits " + ", ".join(_spoken(n.name) for n in effect.purposes) + "."]
    if isinstance(effect, ast.Deny):
        return ["Denies the use" + (f": “{effect.message}”." if effect.message else ".")]
    if isinstance(effect, ast.Oblige):
        out = [f"Obliges: “{effect.text}”."]
        if effect.met is not None:
            out.append(
                f"The duty counts as met when {condition_words(effect.met, names)} "
                f"(`{expr_text(effect.met)}`)."
            )
        return out
    if isinstance(effect, ast.Risk):
        return [f"States the risk: “{effect.text}”."]
    if isinstance(effect, ast.RequireLicence):
        return [f"Requires a licence from the rights holder of {_subject(effect.subject, names)}."]
    if isinstance(effect, ast.RequireConsent) and effect.void:
        text = f"Voids a consent of {_subject(effect.subject, names)} that the use relies on"
        if isinstance(effect.purposes, ast.Path):
            text += f", for {_path_words(effect.purposes.dotted)}"
        elif effect.purposes:
            text += ", for " + ", ".join(_spoken(n.name) for n in effect.purposes)
        if effect.made_from is not None:
            text += f", made from {effect.made_from.value}"
        text += f", unless given {_formalities(effect.formalities)}"
        return [text + "; a use that relies on no consent is outside it."]
    if isinstance(effect, ast.RequireConsent):
        text = f"Requires the consent of {_subject(effect.subject, names)}"
        if isinstance(effect.purposes, ast.Path):
            text += f", for {_path_words(effect.purposes.dotted)}"
        elif effect.purposes:
            text += ", for " + ", ".join(_spoken(n.name) for n in effect.purposes)
        if effect.consenters is not None:
            text += f", given by {consenters.describe(effect.consenters)}"
        if effect.formalities:
            text += f", given {_formalities(effect.formalities)}"
        if effect.cap is not None:
            text += f"; a consent counts for at most {duration_text(effect.cap)}"
        out = [text + "."]
        if effect.minors is not None:
            minor = "A consent given for a minor also needs to be"
            parts = []
            if effect.minors.formalities:
                parts.append(f"{minor} given {_formalities(effect.minors.formalities)}")
            if effect.minors.cap is not None:
                parts.append(f"it counts for at most {duration_text(effect.minors.cap)}")
            parts.append("it ends when the minor turns 18")
            out.append(_capital("; ".join(parts)) + ".")
        if effect.exempt:
            out.append(
                f"A consent given {_formalities(effect.exempt)} counts without these limits."
            )
        return out
    if isinstance(effect, ast.Pay):
        if effect.amount is None or effect.payee is None:
            return ["No payment is due under this clause (`pay nothing`)."]
        return [
            f"Pays {_subject(effect.payee, names)}: {words(effect.amount, names)}.",
            f"Formula: `{expr_text(effect.amount)}`.",
        ]
    assert_never(effect)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# ----------------------------------------------------------------- the document


@dataclass
class Document:
    """A rendering, independent of the output format."""

    title: str
    elements: list[tuple[Any, ...]] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)

    def note(self, citation: str) -> int:
        """The footnote number for `citation` (one number per distinct citation)."""
        if citation not in self.footnotes:
            self.footnotes.append(citation)
        return self.footnotes.index(citation) + 1


_BLOCK_WORDS = {"contract": "Contract", "jurisdiction": "Law", "vocabulary": "Vocabulary"}


def build(source: ast.SourceFile, parties: Mapping[str, str] | None = None) -> Document:
    """The document for one parsed clause file; `parties` maps party ids to names, so that
    each party is shown by name with its id."""
    titles = [b.title or b.name for b in source.blocks]
    doc = Document("; ".join(titles) or source.path)
    for block in source.blocks:
        _block(doc, block, parties or {})
    return doc


def _block(doc: Document, block: ast.Block, parties: Mapping[str, str]) -> None:
    kind = _BLOCK_WORDS[block.kind]
    title = f": {block.title}" if block.title else ""
    doc.elements.append(("h1", f"{kind} {block.name}{title}"))
    # Comments (`#`) are the authors' notes — sources, drafts, files of the project's
    # research — and are never rendered: a reader sees only what the clauses say.
    names = _Names(
        {p.name: literal_text(p.value) or expr_text(p.value) for p in block.parameters},
        {d.name for d in block.definitions},
        parties,
    )
    rows = [_header_row(h, names) for h in block.headers]
    for condition in block.applies:
        rows.append(
            (
                "Applies when",
                f"{_capital(condition_words(condition, names))} (`{expr_text(condition)}`)",
            )
        )
    if block.kind == "jurisdiction" and not any(
        h.kind in ("in_force", "proposed") for h in block.headers
    ):
        rows.append(("Status", "in force"))
    if rows:
        doc.elements.append(("h2", "Terms"))
        doc.elements.append(("table", ("Term", "What it says"), rows))
    if block.purposes:
        doc.elements.append(
            ("p", "Purposes: " + ", ".join(f"`{p.name}`" for p in block.purposes) + ".")
        )
    if block.contexts:
        doc.elements.append(
            ("p", "Contexts: " + ", ".join(f"`{c.name}`" for c in block.contexts) + ".")
        )
    for group in block.groups:
        members = ", ".join(m.code for m in group.members)
        doc.elements.append(("p", f"Territory group `{group.name}`: {members}."))
    if block.parameters:
        doc.elements.append(("h2", "Parameters"))
        doc.elements.append(
            (
                "table",
                ("Parameter", "Value", "Name in the clauses"),
                [
                    (_capital(_spoken(p.name)), f"{names.parameters[p.name]}", f"`{p.name}`")
                    for p in block.parameters
                ],
            )
        )
        doc.elements.append(
            ("p", "Parameters are the figures of the deal; a simulation may try other values.")
        )
    if block.definitions:
        doc.elements.append(("h2", "Definitions"))
        doc.elements.append(
            (
                "ul",
                [
                    f"“{_spoken(d.name)}” means: {words(d.value, names)} (`{expr_text(d.value)}`)."
                    for d in block.definitions
                ],
            )
        )
    if block.facts:
        doc.elements.append(("h2", "Facts a use may state"))
        doc.elements.append(
            (
                "table",
                ("Fact", "Type", "Meaning"),
                [(f"`{f.name}`", f.type_name, f.doc or "") for f in block.facts],
            )
        )
    for provision in block.provisions:
        _provision(doc, provision, names, block)


def day_text(day: dt.date) -> str:
    """A date as a reader writes it: `1 January 2026` (the same in every locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _header_row(header: ast.Header, names: _Names) -> tuple[str, str]:
    values = header.values
    if header.kind in ("licensor", "licensee"):
        party = values[0]
        assert isinstance(party, ast.PartyLit)
        return (_capital(header.kind), names.party(party.id))
    if header.kind == "effective":
        start, end = values
        assert isinstance(start, ast.DateLit)
        text = f"from {day_text(start.value)}"
        if isinstance(end, ast.DurationLit):
            try:
                last = term_end(start.value, end.count, end.unit)  # as the engine decides
            except DateOutOfRange:  # `clausula check` reports it; the rendering says it
                text += f" for {duration_text(end)}, beyond the last date a term can have"
            else:
                text += f" until {day_text(last)} ({duration_text(end)})"
        elif isinstance(end, ast.DateLit):
            text += f" until {day_text(end.value)}"
        return ("Term", text)
    if header.kind == "territory":
        included, excepted = values
        assert isinstance(included, tuple) and isinstance(excepted, tuple)
        text = ", ".join(n.code for n in included)
        if excepted:
            text += " except " + ", ".join(n.code for n in excepted)
        return ("Territory", text)
    if header.kind == "scope":
        what, ids = values
        assert isinstance(ids, tuple)
        if what == "catalogue":
            return ("Scope", f"the catalogue of {names.party(ids[0].id)}")
        if what == "works":
            return ("Scope", "the works " + ", ".join(i.id for i in ids))
        return ("Scope", "all works")
    if header.kind == "text":
        return ("Text encoded", str(values[0]))
    if header.kind == "in_force":
        start, end = values
        assert isinstance(start, ast.DateLit)
        until = f" until {day_text(end.value)}" if isinstance(end, ast.DateLit) else ""
        return ("Status", f"in force from {day_text(start.value)}{until}")
    if header.kind == "proposed":
        after = values[0] if values else None
        text = "proposed: applies only when assumed enacted"
        if isinstance(after, ast.DurationLit):
            text += f", from {duration_text(after)} after enactment"
        return ("Status", text)
    return (header.kind, " ".join(str(v) for v in values))  # pragma: no cover


def _provision(doc: Document, provision: ast.Provision, names: _Names, block: ast.Block) -> None:
    heading = f"§{provision.key}" if provision.kind == "clause" else provision.key
    if provision.title:
        heading += f" {provision.title}"
    # The footnote is an element's field, not `[^n]` in its text: a title may itself
    # contain `[^99]`, which is then only text.
    note = doc.note(provision.cite) if provision.cite else None
    doc.elements.append(("h2", heading, note))
    items: list[str] = []
    titles = {p.key: p.title for p in block.provisions}
    for reference in provision.notwithstanding:
        word = "clause" if reference.kind == "clause" else "rule"
        title = titles.get(reference.key)
        named = f" ({title})" if title else ""
        items.append(
            f"Notwithstanding {word} {reference.key}{named}: where this applies, that one does not."
        )
    for condition in provision.when:
        items.append(
            f"Applies when {condition_words(condition, names)} (`{expr_text(condition)}`)."
        )
    for condition in provision.unless:
        items.append(
            f"Does not apply if {condition_words(condition, names)} (`{expr_text(condition)}`)."
        )
    for effect in provision.effects:
        items += effect_words(effect, names)
    doc.elements.append(("ul", items))


# ----------------------------------------------------------------- writers

_CODE = re.compile(r"`([^`]*)`")
# What Markdown would read as markup in text: HTML (`<b>`, `&amp;`) and footnote syntax.
_MD_MARKUP = re.compile(r"[<>&]|\[\^")
_MD_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "[^": "\\[^"}


def _md(text: str) -> str:
    """`text` for Markdown: notation in backticks kept, and outside it, HTML and footnote
    syntax from authors' text (titles, citations, notes) shown as written, never obeyed."""
    parts = _CODE.split(text)  # even indices: text; odd: what was between backticks
    return "".join(
        f"`{part}`" if index % 2 else _MD_MARKUP.sub(lambda m: _MD_ESCAPES[m.group()], part)
        for index, part in enumerate(parts)
    )


def to_markdown(doc: Document) -> str:
    """The document as Markdown (footnotes in the `[^n]` syntax)."""
    out: list[str] = []
    for element in doc.elements:
        kind = element[0]
        if kind == "h1":
            out += [f"# {_md(element[1])}", ""]
        elif kind == "h2":
            note = f"[^{element[2]}]" if len(element) > 2 and element[2] else ""
            out += [f"## {_md(element[1])}{note}", ""]
        elif kind == "p":
            out += [_md(element[1]), ""]
        elif kind == "ul":
            out += [f"- {_md(item)}" for item in element[1]] + [""]
        elif kind == "table":
            headers, rows = element[1], element[2]
            out.append("| " + " | ".join(_md(h) for h in headers) + " |")
            out.append("|" + "|".join("---" for _ in headers) + "|")
            for row in rows:
                out.append("| " + " | ".join(_md(c).replace("|", "\\|") for c in row) + " |")
            out.append("")
    for number, citation in enumerate(doc.footnotes, start=1):
        out.append(f"[^{number}]: {_md(citation)}")
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #222; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #444; padding-bottom: .3rem; margin-top: 2.5rem; }
h2 { font-size: 1.2rem; margin-top: 1.8rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
code { font-family: Menlo, Consolas, monospace; font-size: .85em; background: #f5f5f5;
       padding: 0 .2em; }
sup a { text-decoration: none; }
.footnotes { border-top: 1px solid #ccc; margin-top: 2.5rem; font-size: .9rem; }
""".strip()


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=False)
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escaped)


def _note_ref(number: int | None) -> str:
    if not number:
        return ""
    return f'<sup id="ref-{number}"><a href="#note-{number}">{number}</a></sup>'


def to_html(doc: Document) -> str:
    """The document as one self-contained HTML page."""
    body: list[str] = []
    for element in doc.elements:
        kind = element[0]
        if kind in ("h1", "h2"):
            note = _note_ref(element[2] if len(element) > 2 else None)
            body.append(f"<{kind}>{_inline(element[1])}{note}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline(element[1])}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in element[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{_inline(h)}</th>" for h in element[1])
            rows = "".join(
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>"
                for row in element[2]
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    if doc.footnotes:
        notes = "".join(
            f'<li id="note-{n}">{html.escape(c, quote=False)} <a href="#ref-{n}">↩</a></li>'
            for n, c in enumerate(doc.footnotes, start=1)
        )
        body.append(f'<section class="footnotes"><h2>Citations</h2><ol>{notes}</ol></section>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(doc.title, quote=False)}</title>\n"
        f"<style>\n{_CSS}\n</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def render(source: ast.SourceFile, fmt: str, parties: Mapping[str, str] | None = None) -> str:
    """A parsed clause file as `md` (Markdown) or `html`; `parties` maps party ids to
    names (from the data files), so that parties are shown by name with their id."""
    doc = build(source, parties)
    return to_html(doc) if fmt == "html" else to_markdown(doc)
