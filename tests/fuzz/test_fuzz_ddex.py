"""Hostile DDEX XML through the ERN importer: no traceback, no expansion, ever.

Each example is the shipped example release with one hostile change: a document type
declaration with nested entities (billion laughs), external entities or DTDs, random
bytes spliced in, the file cut short, an element's text replaced by random text (ids with
random characters, dates, references), a long text of many short lines, or deep nesting. `import_ern` must return either
an import or diagnostics located inside the file — nothing else — and quickly. The budget
is small and fixed.
"""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausula.ddex import data_file_text, import_ern

REPO = Path(__file__).resolve().parents[2]
RELEASE = (REPO / "policies" / "ddex" / "new-release.xml").read_text(encoding="utf-8")
ROOT = "<ern:NewReleaseMessage"
# Elements whose text the importer reads and checks.
FIELDS = [
    "ISNI",
    "ISRC",
    "ISWC",
    "DPID",
    "IpiNameNumber",
    "ReleaseDate",
    "ArtistPartyReference",
    "RightsControllerPartyReference",
    "ContributorPartyReference",
    "PartyReference",
    "DisplayTitleText",
    "FullName",
    "RightSharePercentage",
    "Role",
    "DisplayArtistRole",
    "UseType",
    "ResourceReference",
    "ReleaseResourceReference",
]


@st.composite
def doctypes(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 12))
    fan = draw(st.integers(2, 12))
    entities = ['<!ENTITY e0 "ha">'] + [
        f'<!ENTITY e{i} "{f"&e{i - 1};" * fan}">' for i in range(1, depth)
    ]
    external = draw(
        st.sampled_from(
            [
                "",
                '<!ENTITY x SYSTEM "file:///etc/passwd">',
                '<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;',
            ]
        )
    )
    return f"<!DOCTYPE r [{''.join(entities)}{external}]>"


@st.composite
def hostile_releases(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["doctype", "splice", "cut", "field", "deep", "lines", "encoding"]))
    text = RELEASE
    if kind == "doctype":
        text = text.replace(ROOT, draw(doctypes()) + "\n" + ROOT, 1)
        text = text.replace("<MessageId>EXL-2026-0042-01", f"<MessageId>&e{0};", 1)
    elif kind == "splice":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=20)) + text[at:]
    elif kind == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif kind == "field":
        tag = draw(st.sampled_from(FIELDS))
        start = text.find(f"<{tag}>")
        if start >= 0:
            end = text.find(f"</{tag}>", start)
            value = draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
            value = value.replace("&", "&amp;").replace("<", "&lt;")
            text = text[: start + len(tag) + 2] + value + text[end:]
    elif kind == "encoding":
        # The XML declaration's encoding name, which expat looks up (an unknown one raised).
        name = draw(st.one_of(st.sampled_from(["U0TF-8", "utf-16", "latin-1", "x"]), st.text()))
        text = text.replace('encoding="UTF-8"', f'encoding="{name}"', 1)
    elif kind == "lines":
        # A long text of short lines, which expat hands over line by line (once quadratic).
        lines = draw(st.integers(1, 300_000))
        text = text.replace("<FullName>Ines Roth", "<FullName>" + "x\n" * lines, 1)
    else:
        depth = draw(st.integers(10, 300))
        text = text.replace("<MessageId>", "<x>" * depth + "</x>" * depth + "<MessageId>", 1)
    return text.encode("utf-8", errors="surrogatepass")


@given(hostile_releases())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_releases_are_imported_or_refused_with_a_place(data: bytes) -> None:
    # CPU seconds (time.process_time), not wall time: the limit is on the work done, which a busy
    # machine or the other test worker does not change.
    started = time.process_time()
    result, diagnostics = import_ern(data, "hostile.xml")
    assert time.process_time() - started < 2.0
    lines = max(1, data.count(b"\n") + 1)
    if result is None:
        assert diagnostics
        for diagnostic in diagnostics:
            assert diagnostic.span.path == "hostile.xml"
            assert 1 <= diagnostic.span.line <= lines
            assert diagnostic.message
            diagnostic.render()
    else:
        assert diagnostics == []
        # A document type declaration is never read, so nothing can have been expanded.
        assert b"<!DOCTYPE" not in data
        assert "root:" not in data_file_text(result, "hostile.xml")
