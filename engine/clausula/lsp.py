"""The language server for clause files: `clausula lsp` speaks the Language Server Protocol
on standard input and output, for VS Code, Neovim, Emacs and any other LSP client.

What it gives an editor:

- **diagnostics**: the checker's errors for the open text, on open, change and save —
  the same problems, places and sentences as `clausula check FILE` (the text is checked
  alone, with the standard vocabulary unless it declares one);
- **hover**: on a parameter (its value and type), on a definition (its condition or
  amount and type), on a clause or rule reference in `notwithstanding` and on a clause's
  own number (its title and first effect, quoted from the text);
- **go to definition**: from a `notwithstanding` reference to the clause or rule, and
  from a parameter's or definition's name to where it is declared;
- **formatting**: the whole text in the layout of `clausula fmt`.

The analysis (`analyse`, `hover_at`, `definition_at`) works on plain text and 1-based
lines and columns, as the rest of the engine does; the protocol layer converts positions
to the client's encoding (UTF-16 unless the client negotiates another).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from . import ast
from .diagnostics import Diagnostic, Span
from .lines import split_lines
from .policy_set import analyse_sources
from .types import Type

SERVER_NAME = "clausula"

# ----------------------------------------------------------------- analysis


@dataclass(frozen=True)
class Analysis:
    """One text as the checker saw it: its AST, its problems and the type of every expression."""

    path: str
    text: str
    source: ast.SourceFile
    diagnostics: tuple[Diagnostic, ...]
    types: Mapping[int, Type]

    @property
    def lines(self) -> list[str]:
        return split_lines(self.text)  # as the parser counts lines


def analyse(text: str, path: str = "<text>") -> Analysis:
    """Parse and check `text` alone (as `clausula check FILE` would check that file)."""
    checked, diagnostics = analyse_sources({path: text})
    source = next((f for f in checked.files if f.path == path), ast.SourceFile(path, text, ()))
    mine = tuple(d for d in diagnostics if d.span.path == path)
    return Analysis(path, text, source, mine, checked.types)


@dataclass(frozen=True)
class Found:
    """What is at a place in the text.

    `kind`: `name` (a parameter or definition used in an expression), `declaration` (the
    name in `parameter NAME =` or `define NAME =`), `reference` (`clause 5.1` or
    `rule "…"` after `notwithstanding`) or `provision` (the number of a clause or the key
    of a rule, where it is written).
    """

    kind: str
    span: Span
    block: ast.Block
    name: str


def _contains(span: Span, line: int, column: int) -> bool:
    """Whether 1-based `line`:`column` falls on `span` (its end column is exclusive)."""
    if span.line <= 0:
        return False
    end_line = span.end_line or span.line
    end_column = span.end_column or span.column + 1
    if line < span.line or line > end_line:
        return False
    if line == span.line and column < span.column:
        return False
    return not (line == end_line and column >= end_column)


def _children(node: Any) -> Iterator[Any]:
    """The AST nodes directly inside `node` (through tuples), in field order."""
    if not dataclasses.is_dataclass(node):
        return
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        if isinstance(value, tuple):
            yield from (v for v in value if dataclasses.is_dataclass(v))
        elif dataclasses.is_dataclass(value) and not isinstance(value, Span):
            yield value


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        yield from _walk(child)


def _name_span(item: ast.Parameter | ast.Definition) -> Span:
    """The name in `parameter NAME = …` (the item's span starts at the name)."""
    span = item.span
    return Span(span.path, span.line, span.column, span.line, span.column + len(item.name))


def find_at(analysis: Analysis, line: int, column: int) -> Found | None:
    """The name, reference or clause number at 1-based `line`:`column`, if any."""
    for block in analysis.source.blocks:
        if block.kind == "vocabulary":
            continue
        for item in _declarations(block):
            span = _name_span(item)
            if _contains(span, line, column):
                return Found("declaration", span, block, item.name)
        for provision in block.provisions:
            if _contains(provision.key_span, line, column):
                return Found("provision", provision.key_span, block, provision.key)
            for reference in provision.notwithstanding:
                if _contains(reference.span, line, column):
                    return Found("reference", reference.span, block, reference.key)
        for node in _walk(block):
            if isinstance(node, ast.Name) and _contains(node.span, line, column):
                return Found("name", node.span, block, node.name)
    return None


def _provision(block: ast.Block, key: str) -> ast.Provision | None:
    return next((p for p in block.provisions if p.key == key), None)


def _declarations(block: ast.Block) -> list[ast.Parameter | ast.Definition]:
    return [*block.parameters, *block.definitions]


def _declared(block: ast.Block, name: str) -> ast.Parameter | ast.Definition | None:
    for item in _declarations(block):
        if item.name == name:
            return item
    return None


_COMMENT = re.compile(r'("(?:[^"\\\n]|\\.)*")|#[^\n]*')


def source_text(analysis: Analysis, span: Span) -> str:
    """The text of `span`, comments dropped and lines joined with single spaces."""
    lines = analysis.lines
    if span.line <= 0 or span.line > len(lines):
        return ""
    end_line = min(span.end_line or span.line, len(lines))
    end_column = span.end_column or len(lines[end_line - 1]) + 1
    if end_line == span.line:
        parts = [lines[span.line - 1][span.column - 1 : end_column - 1]]
    else:
        parts = [lines[span.line - 1][span.column - 1 :]]
        parts += lines[span.line : end_line - 1]
        parts.append(lines[end_line - 1][: end_column - 1])
    code = (_COMMENT.sub(lambda m: m.group(1) or "", part) for part in parts)
    return " ".join(" ".join(part.split()) for part in code if part.strip())


def _type_text(kind: Type | None, value: ast.Expr) -> str:
    if kind is None:  # not checked (an error elsewhere stopped it): say what the literal is
        kind = _LITERAL_TYPES.get(type(value))
        if kind is None:
            return "unknown (the checker could not type it)"
    text = str(kind)
    if kind.kind == "money":
        currency = kind.currency or (value.currency if isinstance(value, ast.MoneyLit) else None)
        if currency:
            text = f"money in {currency}"
    return text


_LITERAL_TYPES: dict[type, Type] = {
    ast.MoneyLit: Type("money"),
    ast.PercentLit: Type("percentage"),
    ast.NumberLit: Type("number"),
    ast.DateLit: Type("date"),
    ast.DurationLit: Type("duration"),
    ast.BoolLit: Type("boolean"),
    ast.StringLit: Type("string"),
    ast.TerritoryLit: Type("territory"),
    ast.PartyLit: Type("party"),
}


def _block_label(block: ast.Block) -> str:
    return f"{block.kind} `{block.name}`"


def _declaration_hover(analysis: Analysis, item: ast.Parameter | ast.Definition) -> str:
    value = source_text(analysis, item.value.span)
    kind = _type_text(analysis.types.get(id(item.value)), item.value)
    block = next(b for b in analysis.source.blocks if item in _declarations(b))
    if isinstance(item, ast.Parameter):
        return (
            f"**parameter** `{item.name}` = `{value}`\n\n"
            f"Type: {kind}. Declared in {_block_label(block)} at line {item.span.line}; "
            "a simulation may override its value."
        )
    return (
        f"**definition** `{item.name}`\n\n```clause\n{value}\n```\n\n"
        f"Type: {kind}. Declared in {_block_label(block)} at line {item.span.line}."
    )


def _provision_hover(analysis: Analysis, block: ast.Block, provision: ast.Provision) -> str:
    key = provision.key if provision.kind == "clause" else f'"{provision.key}"'
    head = f"**{provision.kind} {key}**"
    if provision.title:
        head += f" — {provision.title}"
    parts = [head]
    if provision.cite:
        parts.append(f"Cites: {provision.cite}")
    if provision.effects:
        first = source_text(analysis, provision.effects[0].span)
        more = len(provision.effects) - 1
        parts.append(
            f"```clause\n{first}\n```" + (f"\n\n…and {more} more effect(s)" if more else "")
        )
    else:
        parts.append("(no effect)")
    setters = [
        p.key for p in block.provisions if any(r.key == provision.key for r in p.notwithstanding)
    ]
    if setters:
        names = ", ".join(setters)
        parts.append(
            f"Set aside by {names} when {'its' if len(setters) == 1 else 'their'} conditions hold."
        )
    parts.append(f"In {_block_label(block)}, line {provision.key_span.line}.")
    return "\n\n".join(parts)


def hover_at(analysis: Analysis, line: int, column: int) -> tuple[str, Span] | None:
    """Markdown describing what is at `line`:`column`, and the span it describes."""
    found = find_at(analysis, line, column)
    if found is None:
        return None
    if found.kind in ("name", "declaration"):
        item = _declared(found.block, found.name)
        if item is None:
            return None
        return _declaration_hover(analysis, item), found.span
    provision = _provision(found.block, found.name)
    if provision is None:
        return None
    return _provision_hover(analysis, found.block, provision), found.span


def definition_at(analysis: Analysis, line: int, column: int) -> Span | None:
    """Where the name or reference at `line`:`column` is declared, if it is in this text."""
    found = find_at(analysis, line, column)
    if found is None:
        return None
    if found.kind in ("name", "declaration"):
        item = _declared(found.block, found.name)
        return _name_span(item) if item is not None else None
    if found.kind == "reference":
        provision = _provision(found.block, found.name)
        return provision.key_span if provision is not None else None
    return found.span  # a clause's own number: it is its own definition


def formatted(text: str, path: str = "<text>") -> str | None:
    """The text in the layout of `clausula fmt`, or None if it does not parse."""
    from .formatter import FormatError, format_text

    try:
        return format_text(text, path)
    except FormatError:
        return None


# ----------------------------------------------------------------- protocol


def _path_of(uri: str) -> str:
    """The file path of a `file:` URI (the label of its diagnostics), else the URI."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    return uri


class ClausulaLanguageServer(LanguageServer):
    """A pygls server that keeps the last analysis of each open document."""

    def __init__(self) -> None:
        from .cli import _version

        super().__init__(SERVER_NAME, _version())
        self.analyses: dict[str, Analysis] = {}
        self.proofs: dict[str, tuple[str, list[Diagnostic]]] = {}  # uri → (text, warnings)

    def analysis(self, uri: str) -> Analysis:
        document = self.workspace.get_text_document(uri)
        text = document.source
        known = self.analyses.get(uri)
        if known is None or known.text != text:
            known = self.analyses[uri] = analyse(text, _path_of(uri))
        return known

    def _lines(self, uri: str) -> list[str]:
        return list(self.workspace.get_text_document(uri).lines)

    def to_range(self, uri: str, span: Span) -> lsp.Range:
        """A 1-based clausula span as an LSP range in the client's position encoding."""
        lines = self._lines(uri)
        codec = self.workspace.position_codec
        line = max(span.line, 1) - 1
        column = max(span.column, 1) - 1
        if span.end_line and span.end_line >= span.line and span.end_column:
            end = lsp.Position(span.end_line - 1, span.end_column - 1)
        else:  # no end: to the end of the word at the place, or one character
            text = lines[line] if line < len(lines) else ""
            match = re.match(r"[\w.:%-]+", text[column:])
            end = lsp.Position(line, column + (len(match.group()) if match else 1))
        return lsp.Range(
            start=codec.position_to_client_units(lines, lsp.Position(line, column)),
            end=codec.position_to_client_units(lines, end),
        )

    def from_position(self, uri: str, position: lsp.Position) -> tuple[int, int]:
        """An LSP position as a 1-based line and column (in characters)."""
        lines = self._lines(uri)
        server = self.workspace.position_codec.position_from_client_units(lines, position)
        return server.line + 1, server.character + 1

    def proved(self, uri: str, analysis: Analysis) -> list[Diagnostic]:
        """`clausula analyze`'s findings on a text without errors, as warnings (issue 16);
        kept until the text changes."""
        if any(d.severity == "error" for d in analysis.diagnostics):
            return []
        known = self.proofs.get(uri)
        if known is None or known[0] != analysis.text:
            from .prove.analyze import analyze_text

            warnings = [f.diagnostic(analysis.path) for f in analyze_text(analysis.text)]
            known = self.proofs[uri] = (analysis.text, warnings)
        return known[1]

    def publish(self, uri: str) -> None:
        analysis = self.analysis(uri)
        diagnostics = [
            lsp.Diagnostic(
                range=self.to_range(uri, d.span),
                message=d.message + (f"\nhint: {d.hint}" if d.hint else ""),
                severity=(
                    lsp.DiagnosticSeverity.Error
                    if d.severity == "error"
                    else lsp.DiagnosticSeverity.Warning
                ),
                source=SERVER_NAME,
            )
            for d in (*analysis.diagnostics, *self.proved(uri, analysis))
        ]
        version = self.workspace.get_text_document(uri).version
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )


def build_server() -> ClausulaLanguageServer:
    """A new language server with every feature registered (not yet started)."""
    server = ClausulaLanguageServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ClausulaLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ClausulaLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ClausulaLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ClausulaLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: ClausulaLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        line, column = ls.from_position(uri, params.position)
        found = hover_at(ls.analysis(uri), line, column)
        if found is None:
            return None
        text, span = found
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
            range=ls.to_range(uri, span),
        )

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: ClausulaLanguageServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        uri = params.text_document.uri
        line, column = ls.from_position(uri, params.position)
        span = definition_at(ls.analysis(uri), line, column)
        if span is None:
            return None
        return lsp.Location(uri=uri, range=ls.to_range(uri, span))

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(
        ls: ClausulaLanguageServer, params: lsp.DocumentFormattingParams
    ) -> list[lsp.TextEdit] | None:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        text = document.source
        result = formatted(text, _path_of(uri))
        if result is None:  # syntax errors: the diagnostics say where; nothing to format
            return None
        if result == text:
            return []
        lines = split_lines(text)
        end = lsp.Position(len(lines) - 1, len(lines[-1]))
        whole = lsp.Range(
            start=lsp.Position(0, 0),
            end=ls.workspace.position_codec.position_to_client_units(document.lines, end),
        )
        return [lsp.TextEdit(range=whole, new_text=result)]

    return server


def serve_stdio() -> None:
    """Run the language server on standard input and output until the client exits."""
    build_server().start_io()
