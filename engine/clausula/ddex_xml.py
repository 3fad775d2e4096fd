"""Reading DDEX XML safely into a small tree that remembers where each element was.

DDEX messages come from outside (labels, distributors), so they are read as hostile: no
document type declaration is accepted, so no entity can be declared or expanded ("billion
laughs"), no external entity or DTD is fetched, and nothing is read from the network or the
file system. The parser is `defusedxml`'s expat parser with DTDs, entities and external
references forbidden. Each element keeps its line, column and path
(`/NewReleaseMessage/ResourceList/SoundRecording[2]/…`), so that every problem found later
points at the place in the file.
"""

from __future__ import annotations

import io
import xml.sax
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.handler import ContentHandler, feature_external_ges, feature_external_pes
from xml.sax.xmlreader import AttributesNSImpl, Locator

import defusedxml
from defusedxml.expatreader import DefusedExpatParser

from .diagnostics import Diagnostic, Span
from .errors import ClausulaError

MAX_XML_BYTES = 64 * 1024 * 1024
"""Bytes of one DDEX XML file (the same bound as a YAML data file)."""
MAX_XML_ELEMENTS = 500_000
"""Elements of one DDEX XML file. An ERN message is one release (a track takes about 50
elements), so this is thousands of tracks; a million elements take ~600 MB and ~15 s."""
MAX_XML_DEPTH = 64
"""How deeply DDEX XML elements may nest (ERN 4 needs about a dozen levels)."""


class XmlLimitError(ClausulaError):
    """A DDEX file passes one of the limits above."""


@dataclass(slots=True)
class Element:
    """One XML element: local name, namespace, attributes, text, children and place."""

    name: str
    namespace: str
    attributes: dict[str, str]
    path: str
    line: int
    column: int
    children: list[Element] = field(default_factory=list)
    text: str = ""
    # The pieces of text as the parser hands them over (one per line), joined once at the
    # end of the element: adding each to `text` would copy the text so far every time.
    pieces: list[str] = field(default_factory=list, repr=False)

    def child(self, name: str) -> Element | None:
        """The first child element with this local name, or None."""
        for element in self.children:
            if element.name == name:
                return element
        return None

    def all(self, name: str) -> list[Element]:
        """Every child element with this local name, in order."""
        return [element for element in self.children if element.name == name]

    def find(self, *names: str) -> Element | None:
        """The first element down this path of local names, or None."""
        found: Element | None = self
        for name in names:
            found = found.child(name) if found is not None else None
        return found

    def text_of(self, *names: str) -> str | None:
        """The stripped text of the first element down this path, or None if absent/empty."""
        found = self.find(*names)
        text = found.text.strip() if found is not None else ""
        return text or None

    def walk(self) -> Iterator[Element]:
        """This element and every element under it, in document order."""
        stack = [self]
        while stack:
            element = stack.pop()
            yield element
            stack.extend(reversed(element.children))


class _TreeBuilder(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.root: Element | None = None
        self._stack: list[Element] = []
        self._counts: list[dict[str, int]] = [{}]
        self._elements = 0
        self._locator: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:
        self._locator = locator

    def startElementNS(
        self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl
    ) -> None:
        self._elements += 1
        if self._elements > MAX_XML_ELEMENTS:
            raise XmlLimitError(f"the file has more than {MAX_XML_ELEMENTS:,} elements")
        if len(self._stack) >= MAX_XML_DEPTH:
            raise XmlLimitError(f"elements nest more than {MAX_XML_DEPTH} levels deep")
        namespace, local = name[0] or "", name[1]
        counts = self._counts[-1]
        counts[local] = counts.get(local, 0) + 1
        index = counts[local]
        parent = self._stack[-1].path if self._stack else ""
        path = f"{parent}/{local}" + (f"[{index}]" if index > 1 else "")
        line = self._locator.getLineNumber() if self._locator else 0
        column = ((self._locator.getColumnNumber() or 0) + 1) if self._locator else 0
        attributes = {key[1]: str(value) for key, value in attrs.items()}
        element = Element(local, namespace, attributes, path, line or 1, column or 1)
        if self._stack:
            self._stack[-1].children.append(element)
        else:
            self.root = element
        self._stack.append(element)
        self._counts.append({})

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        element = self._stack.pop()
        element.text, element.pieces = "".join(element.pieces), []
        self._counts.pop()

    def characters(self, content: str) -> None:
        if self._stack:
            self._stack[-1].pieces.append(content)


def read_xml(data: bytes, display: str) -> tuple[Element | None, list[Diagnostic]]:
    """Parse `data` (the bytes of `display`) into a tree, or return one located diagnostic.

    Refuses a document type declaration, entity declarations and external references,
    and passes none of the limits `MAX_XML_*`.
    """
    if len(data) > MAX_XML_BYTES:
        return None, [
            Diagnostic(
                span=Span(display, 1, 1),
                message=f"the file has {len(data):,} bytes; a DDEX file may have at most "
                f"{MAX_XML_BYTES:,}",
            )
        ]
    lines = data.decode("utf-8", errors="replace").splitlines()
    builder = _TreeBuilder()
    # defusedxml's parser: no DTD at all (which also forbids entity declarations), no
    # external general or parameter entities.
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setFeature(xml.sax.handler.feature_namespaces, True)
    parser.setFeature(feature_external_ges, False)
    parser.setFeature(feature_external_pes, False)
    parser.setContentHandler(builder)

    def located(message: str) -> Diagnostic:
        locator = builder._locator
        line = (locator.getLineNumber() or 1) if locator else 1
        column = ((locator.getColumnNumber() or 0) + 1) if locator else 1
        source = lines[line - 1] if 0 < line <= len(lines) else None
        return Diagnostic(span=Span(display, line, column), message=message, source_line=source)

    try:
        parser.parse(io.BytesIO(data))
    except defusedxml.DTDForbidden:
        return None, [
            located(
                "this DDEX file has a document type declaration (<!DOCTYPE …>); it is not "
                "read, as it could declare entities that expand without end or fetch files"
            )
        ]
    except defusedxml.EntitiesForbidden:
        return None, [located("this DDEX file declares entities; they are not expanded")]
    except defusedxml.ExternalReferenceForbidden:
        return None, [located("this DDEX file refers to an external resource; it is not fetched")]
    except defusedxml.NotSupportedError as error:
        return None, [located(f"this DDEX file uses an XML feature that is not read: {error}")]
    except xml.sax.SAXParseException as error:
        line, column = error.getLineNumber() or 1, (error.getColumnNumber() or 0) + 1
        source = lines[line - 1] if 0 < line <= len(lines) else None
        return None, [
            Diagnostic(
                span=Span(display, line, column),
                message=f"this is not well-formed XML: {error.getMessage()}",
                source_line=source,
            )
        ]
    except XmlLimitError as error:
        return None, [located(f"{error}; the file is not read")]
    except LookupError as error:  # expat's: `<?xml … encoding="…"?>` names no known encoding
        name = str(error).removeprefix("unknown encoding: ")[:40]
        return None, [
            Diagnostic(
                span=Span(display, 1, 1),
                message=f"the first line says the file is written in `{name}`, which is not a "
                'known text encoding; DDEX files are UTF-8 (`encoding="UTF-8"`)',
                source_line=lines[0] if lines else None,
            )
        ]
    if builder.root is None:
        return None, [Diagnostic(span=Span(display, 1, 1), message="the file holds no XML element")]
    return builder.root, []
