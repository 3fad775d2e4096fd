"""Editor support: the language server over its protocol, and the TextMate grammar.

The server is started as editors start it — `clausula lsp`, a subprocess speaking JSON-RPC
on stdin/stdout — and driven with initialize, didOpen, didChange, hover, definition and
formatting. Positions in the protocol are 0-based lines and UTF-16 characters.

The grammar is exercised by a small TextMate matcher (earliest match wins, the first
pattern on a tie, captures named per group), enough to check each kind of token's scope.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clausula.formatter import format_text
from clausula.lsp import analyse, definition_at, hover_at

REPO = Path(__file__).resolve().parents[1]
GRAMMAR = REPO / "grammar" / "clausula.tmLanguage.json"

CONTRACT = """\
# A small contract for the language server.
contract "lsp-demo-2026" "Demo licence"
  licensor party:example-label
  licensee party:aria-labs
  effective 2026-01-01 for 3 years
  territory worldwide except CN, RU
  scope all works

  parameter artist_pool = 30%
  parameter per_generation = 0.002 USD

  define made_public = use.output.synthetic_audio and use.output.public

  clause 2.1 "Licensed purposes"
    permit training, generation

  clause 5.1 "Artists' pool"
    when use.purpose is generation
    pay max(artist_pool * use.revenue, per_generation * use.generations) * weight
      to each artist in use.attribution

  clause 5.2 "Parody outputs carry no pool"
    notwithstanding clause 5.1
    when parody in use.context
    pay nothing

  clause 6.1 "Labelling"
    when made_public
    oblige "Label the output as AI-generated"

  clause 7.1 "Opt-in"
    require consent of each artist in use.touched for use.purpose
"""
LINES = CONTRACT.split("\n")


def at(needle: str, offset: int = 0) -> tuple[int, int]:
    """0-based line and character of the first `needle` in CONTRACT, plus `offset`."""
    for number, line in enumerate(LINES):
        column = line.find(needle)
        if column >= 0:
            return number, column + offset
    raise AssertionError(f"{needle!r} is not in the contract")


# ----------------------------------------------------------------- a minimal LSP client


class Client:
    """Speaks JSON-RPC to a `clausula lsp` subprocess; collects its notifications."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                header = stream.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def _next(self, timeout: float) -> dict[str, Any]:
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("the language server did not answer in time") from None
        if "method" in message and "id" in message:  # a request from the server
            self.send({"id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        return message

    def request(self, method: str, params: dict[str, Any], timeout: float = 30) -> Any:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        while True:
            message = self._next(timeout)
            if message.get("id") == ident and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = 30) -> Any:
        """The next diagnostics published for `uri` (for `version`, if given)."""
        while True:
            for index, note in enumerate(self.notifications):
                params = note["params"]
                if (
                    note["method"] == "textDocument/publishDiagnostics"
                    and params["uri"] == uri
                    and (version is None or params.get("version") == version)
                ):
                    del self.notifications[: index + 1]
                    return params["diagnostics"]
            self._next(timeout)

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


def _command() -> list[str]:
    script = Path(sys.executable).parent / "clausula"
    if script.exists():
        return [str(script), "lsp"]
    found = shutil.which("clausula")
    if found:
        return [found, "lsp"]
    return [sys.executable, "-c", "from clausula.cli import main; main(['lsp'])"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    root = tmp_path_factory.mktemp("workspace")
    lsp = Client(_command(), root)
    result = lsp.request(
        "initialize",
        {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
        },
    )
    capabilities = result["capabilities"]
    assert capabilities["hoverProvider"]
    assert capabilities["definitionProvider"]
    assert capabilities["documentFormattingProvider"]
    assert result["serverInfo"]["name"] == "clausula"
    lsp.notify("initialized", {})
    lsp.root = root  # type: ignore[attr-defined]
    yield lsp
    lsp.close()


def _open(client: Client, name: str, text: str) -> tuple[str, Any]:
    uri = (client.root / name).as_uri()  # type: ignore[attr-defined]
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "clausula", "version": 1, "text": text}},
    )
    return uri, client.diagnostics(uri, 1)


def _position(line: int, character: int) -> dict[str, int]:
    return {"line": line, "character": character}


# ----------------------------------------------------------------- diagnostics


def test_a_clean_contract_has_no_diagnostics(client: Client) -> None:
    _, diagnostics = _open(client, "clean.clause", CONTRACT)
    assert diagnostics == []


def test_diagnostics_point_at_the_line_and_column_and_follow_changes(client: Client) -> None:
    broken = CONTRACT.replace("permit training, generation", "permit trainin, generation")
    broken = broken.replace("territory worldwide except CN, RU", "territory worldwide except XX")
    uri, diagnostics = _open(client, "typo.clause", broken)
    permit_line, permit_column = at("permit training", len("permit "))
    territory_line, territory_column = at("except CN", len("except "))
    by_line = {d["range"]["start"]["line"]: d for d in diagnostics}
    assert sorted(by_line) == [territory_line, permit_line], diagnostics

    typo = by_line[permit_line]
    assert typo["range"] == {
        "start": _position(permit_line, permit_column),
        "end": _position(permit_line, permit_column + len("trainin")),
    }
    assert "`trainin` is not a declared purpose" in typo["message"]
    assert "did you mean `training`?" in typo["message"]
    assert typo["severity"] == 1  # error
    assert typo["source"] == "clausula"
    assert by_line[territory_line]["range"]["start"] == _position(territory_line, territory_column)
    assert "XX" in by_line[territory_line]["message"]

    # Fix the typo: the diagnostics for version 2 keep only the territory.
    fixed = broken.replace("permit trainin,", "permit training,")
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]},
    )
    diagnostics = client.diagnostics(uri, 2)
    assert [d["range"]["start"]["line"] for d in diagnostics] == [territory_line]

    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": CONTRACT}]},
    )
    assert client.diagnostics(uri, 3) == []


def test_a_syntax_error_is_a_diagnostic(client: Client) -> None:
    text = CONTRACT.replace("    when use.purpose is generation\n", "    when use.purpose is\n")
    _, diagnostics = _open(client, "syntax.clause", text)
    assert diagnostics, "a syntax error must be reported"
    assert all(d["severity"] == 1 for d in diagnostics)
    when_line, _ = at("when use.purpose is generation")
    assert diagnostics[0]["range"]["start"]["line"] in (when_line, when_line + 1)


def test_positions_are_utf16_after_characters_outside_the_bmp(client: Client) -> None:
    # "𝄞" is one character but two UTF-16 code units: the error after it is one further on.
    text = CONTRACT.replace(
        'oblige "Label the output as AI-generated"',
        'oblige "Label 𝄞 outputs" met when use.output.publix',
    )
    _, diagnostics = _open(client, "astral.clause", text)
    assert len(diagnostics) == 1, diagnostics
    number = next(i for i, line in enumerate(text.split("\n")) if "publix" in line)
    column = text.split("\n")[number].index("use.output.publix")
    start = diagnostics[0]["range"]["start"]
    assert start == _position(number, column + 1)


# ----------------------------------------------------------------- hover


def test_hover_on_a_parameter_gives_its_value_and_type(client: Client) -> None:
    uri, _ = _open(client, "hover.clause", CONTRACT)
    line, character = at("max(artist_pool", 6)
    result = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": _position(line, character)},
    )
    text = result["contents"]["value"]
    assert result["contents"]["kind"] == "markdown"
    assert "**parameter** `artist_pool` = `30%`" in text
    assert "a percentage" in text
    assert result["range"] == {
        "start": _position(line, character - 2),
        "end": _position(line, character - 2 + len("artist_pool")),
    }

    line, character = at("per_generation *", 3)
    text = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": _position(line, character)},
    )["contents"]["value"]
    assert "`per_generation` = `0.002 USD`" in text
    assert "money in USD" in text


def test_hover_on_a_definition_gives_its_condition(client: Client) -> None:
    uri, _ = _open(client, "hover-def.clause", CONTRACT)
    line, character = at("when made_public", 7)
    text = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": _position(line, character)},
    )["contents"]["value"]
    assert "**definition** `made_public`" in text
    assert "use.output.synthetic_audio and use.output.public" in text
    assert "true or false" in text


def test_hover_on_a_notwithstanding_reference_gives_title_and_first_effect(
    client: Client,
) -> None:
    uri, _ = _open(client, "hover-ref.clause", CONTRACT)
    line, character = at("notwithstanding clause 5.1", len("notwithstanding clause 5"))
    result = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": _position(line, character)},
    )
    text = result["contents"]["value"]
    assert text.startswith("**clause 5.1** — Artists' pool")
    assert (
        "pay max(artist_pool * use.revenue, per_generation * use.generations) * weight "
        "to each artist in use.attribution"
    ) in text
    assert "Set aside by 5.2" in text
    start = at("notwithstanding clause 5.1", len("notwithstanding clause "))
    assert result["range"]["start"] == _position(*start)


def test_hover_on_nothing_in_particular_is_null(client: Client) -> None:
    uri, _ = _open(client, "hover-none.clause", CONTRACT)
    line, character = at("# A small", 3)
    result = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": _position(line, character)},
    )
    assert result is None


# ----------------------------------------------------------------- go to definition


def _definition(client: Client, uri: str, needle: str, offset: int) -> Any:
    line, character = at(needle, offset)
    return client.request(
        "textDocument/definition",
        {"textDocument": {"uri": uri}, "position": _position(line, character)},
    )


def test_definition_of_a_notwithstanding_reference_is_the_clause(client: Client) -> None:
    uri, _ = _open(client, "def-ref.clause", CONTRACT)
    location = _definition(client, uri, "notwithstanding clause 5.1", 24)
    line, character = at('clause 5.1 "Artists', len("clause "))
    assert location == {
        "uri": uri,
        "range": {"start": _position(line, character), "end": _position(line, character + 3)},
    }


def test_definition_of_a_parameter_and_of_a_definition(client: Client) -> None:
    uri, _ = _open(client, "def-name.clause", CONTRACT)
    location = _definition(client, uri, "max(artist_pool", 5)
    line, character = at("parameter artist_pool", len("parameter "))
    assert location["range"] == {
        "start": _position(line, character),
        "end": _position(line, character + len("artist_pool")),
    }
    location = _definition(client, uri, "when made_public", 6)
    line, character = at("define made_public", len("define "))
    assert location["range"]["start"] == _position(line, character)
    assert _definition(client, uri, "use.purpose is", 1) is None  # a field of the use


# ----------------------------------------------------------------- formatting


def test_formatting_replaces_the_text_with_the_canonical_layout(client: Client) -> None:
    messy = CONTRACT.replace("  parameter artist_pool = 30%", "parameter   artist_pool=30%")
    messy = messy.replace("    permit training, generation", "        permit training,generation")
    uri, diagnostics = _open(client, "format.clause", messy)
    assert diagnostics == []
    edits = client.request(
        "textDocument/formatting",
        {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}},
    )
    assert len(edits) == 1
    assert edits[0]["range"]["start"] == _position(0, 0)
    assert edits[0]["newText"] == format_text(messy)
    assert "  parameter artist_pool = 30%" in edits[0]["newText"]

    uri, _ = _open(client, "formatted.clause", format_text(CONTRACT))
    edits = client.request(
        "textDocument/formatting",
        {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}},
    )
    assert edits == []


def test_formatting_a_text_that_does_not_parse_changes_nothing(client: Client) -> None:
    uri, _ = _open(client, "format-bad.clause", "contract \n  clause")
    edits = client.request(
        "textDocument/formatting",
        {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}},
    )
    assert not edits


# ----------------------------------------------------------------- the analysis, in process


def test_rule_references_in_a_jurisdiction() -> None:
    text = """\
jurisdiction "marking-demo" "Marking, with a research carve-out"
  in force from 2026-08-02
  applies when use.territory in EEA

  rule "art. 1" "Marking"
    when use.output.synthetic_audio
    oblige "Mark the audio output as artificially generated"

  rule "art. 2" "Research"
    cite "Demonstration Act, Article 2"
    notwithstanding rule "art. 1"
    when research in use.context and not use.output.public
    oblige "Keep the research outputs in a closed environment"
"""
    analysis = analyse(text, "marking.clause")
    assert analysis.diagnostics == ()
    line = text.split("\n").index('    notwithstanding rule "art. 1"') + 1
    found = hover_at(analysis, line, 27)
    assert found is not None
    markdown, span = found
    assert markdown.startswith('**rule "art. 1"** — Marking')
    assert 'oblige "Mark the audio output as artificially generated"' in markdown
    assert (span.line, span.column) == (line, 26)
    target = definition_at(analysis, line, 27)
    assert target is not None
    assert (target.line, target.column) == (5, 8)
    # On the rule's own key: its title, and who sets it aside.
    own = hover_at(analysis, 5, 10)
    assert own is not None
    assert "Set aside by art. 2" in own[0]


def test_every_shipped_policy_analyses_cleanly() -> None:
    for path in sorted((REPO / "policies").rglob("*.clause")):
        analysis = analyse(path.read_text(encoding="utf-8"), path.name)
        assert analysis.diagnostics == (), [d.render() for d in analysis.diagnostics]


# ----------------------------------------------------------------- the TextMate grammar


def _grammar() -> dict[str, Any]:
    return json.loads(GRAMMAR.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _flatten(grammar: dict[str, Any], patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for pattern in patterns:
        if "include" in pattern:
            out += _flatten(grammar, grammar["repository"][pattern["include"][1:]]["patterns"])
        else:
            out.append(pattern)
    return out


def tokenize(line: str) -> list[tuple[str, set[str]]]:
    """(text, scopes) for each piece of one line, TextMate-style."""
    grammar = _grammar()
    rules = _flatten(grammar, grammar["patterns"])
    pieces: list[tuple[str, set[str]]] = []
    pos = 0
    while pos < len(line):
        best: tuple[int, int, dict[str, Any], re.Match[str]] | None = None
        for order, rule in enumerate(rules):
            match = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
            if match and match.end() > match.start():
                key = (match.start(), order)
                if best is None or key < (best[0], best[1]):
                    best = (match.start(), order, rule, match)
        if best is None:
            pieces.append((line[pos:], set()))
            break
        start, _, rule, match = best
        if start > pos:
            pieces.append((line[pos:start], set()))
        if "begin" in rule:  # one-line regions (strings end at `"` or the end of the line)
            stop = match.end()
            while stop < len(line):  # the end, unless an inner pattern (an escape) comes first
                end = re.compile(rule["end"]).search(line, stop)
                inner = [
                    found
                    for p in rule.get("patterns", [])
                    if (found := re.compile(p["match"]).search(line, stop))
                ]
                first = min(inner, key=lambda m: m.start(), default=None)
                if end is not None and (first is None or end.start() <= first.start()):
                    stop = end.end()
                    break
                stop = first.end() if first is not None else len(line)
            pieces.append((line[start:stop], {rule["name"]}))
            pos = stop
            continue
        base = {rule["name"]} if "name" in rule else set()
        captures = rule.get("captures", {})
        cursor = start
        for group in range(1, (match.re.groups or 0) + 1):
            if str(group) in captures and match.start(group) >= 0:
                if match.start(group) > cursor:
                    pieces.append((line[cursor : match.start(group)], set(base)))
                names = set(captures[str(group)]["name"].split()) | base
                if "0" in captures:
                    names.add(captures["0"]["name"])
                pieces.append((match.group(group), names))
                cursor = match.end(group)
        if cursor < match.end():
            extra = {captures["0"]["name"]} if "0" in captures else set()
            pieces.append((line[cursor : match.end()], base | extra))
        pos = match.end()
    return pieces


def scopes(line: str, text: str) -> set[str]:
    """The scopes of the piece of `line` that is exactly `text`."""
    found = [names for piece, names in tokenize(line) if piece == text]
    assert found, f"{text!r} is not one token of {line!r}: {tokenize(line)}"
    return found[0]


@pytest.mark.parametrize(
    ("line", "text", "scope"),
    [
        (
            "# a comment with 10 years and permit",
            "# a comment with 10 years and permit",
            "comment.line.number-sign.clausula",
        ),
        ('contract "aria-2026" "Title"', "contract", "storage.type.block.clausula"),
        ('contract "aria-2026" "Title"', '"aria-2026"', "entity.name.type.block.clausula"),
        ('contract "aria-2026" "Title"', '"Title"', "string.quoted.double.clausula"),
        ("  effective 2026-01-01 for 3 years", "2026-01-01", "constant.numeric.date.clausula"),
        ("  effective 2026-01-01 for 3 years", "3", "constant.numeric.duration.clausula"),
        ("  effective 2026-01-01 for 3 years", "years", "keyword.other.unit.duration.clausula"),
        ("  effective 2026-01-01 for 3 years", "effective", "keyword.other.header.clausula"),
        ("  parameter per_generation = 0.002 USD", "0.002", "constant.numeric.money.clausula"),
        ("  parameter per_generation = 0.002 USD", "USD", "support.constant.currency.clausula"),
        (
            "  parameter per_generation = 0.002 USD",
            "per_generation",
            "variable.other.constant.parameter.clausula",
        ),
        ("  parameter artist_pool = 12.5%", "12.5%", "constant.numeric.percentage.clausula"),
        ("  scope works isrc:USUM71703861", "isrc:USUM71703861", "constant.other.id.clausula"),
        ("  licensee party:aria-labs", "party:aria-labs", "constant.other.id.clausula"),
        ("  territory worldwide except CN, US-TN", "US-TN", "constant.language.territory.clausula"),
        ("  territory worldwide except CN, US-TN", "CN", "constant.language.territory.clausula"),
        ("  territory worldwide except CN, US-TN", "except", "keyword.other.header.clausula"),
        ('  clause 5.1 "Artists\' pool"', "5.1", "entity.name.section.clause-number.clausula"),
        (
            "    notwithstanding clause 5.1, clause 12a",
            "5.1",
            "constant.other.clause-number.clausula",
        ),
        (
            "    notwithstanding clause 5.1, clause 12a",
            "12a",
            "constant.other.clause-number.clausula",
        ),
        ("    notwithstanding clause 5.1", "notwithstanding", "keyword.control.clausula"),
        ('  rule "art. 50(2)" "Marking"', '"art. 50(2)"', "entity.name.section.rule-key.clausula"),
        ("    permit training, generation", "permit", "keyword.other.effect.clausula"),
        ("    pay nothing", "nothing", "keyword.other.effect.clausula"),
        (
            "  parameter uplift = 150%, above 100% intended",
            "intended",
            "keyword.operator.word.clausula",
        ),
        ("    when use.purpose is generation", "when", "keyword.control.clausula"),
        ("    when use.purpose is generation", "use", "variable.language.clausula"),
        ("    when use.purpose is generation", ".purpose", "variable.other.member.clausula"),
        ("    when use.purpose is generation", "is", "keyword.operator.word.clausula"),
        ("  in force from 2026-08-02", "in force from", "keyword.other.header.clausula"),
        (
            "    require consent of each artist in use.artists in writing signed",
            "in writing",
            "keyword.other.formality.clausula",
        ),
        (
            "    require consent of each artist in use.artists in writing signed",
            "signed",
            "keyword.other.formality.clausula",
        ),
        ("    pay max(a, b) * weight to party:x", "max", "support.function.clausula"),
        ("    pay max(a, b) * weight to party:x", "weight", "variable.language.clausula"),
        (
            '    oblige "Mark \\"it\\" # not a comment"',
            '"Mark \\"it\\" # not a comment"',
            "string.quoted.double.clausula",
        ),
        ("    when x >= 10", ">=", "keyword.operator.comparison.clausula"),
        ("    when x >= 10", "10", "constant.numeric.clausula"),
        ("  define made_public = true", "true", "constant.language.boolean.clausula"),
    ],
)
def test_grammar_scopes(line: str, text: str, scope: str) -> None:
    assert scope in scopes(line, text)


def test_grammar_is_valid_for_editors() -> None:
    grammar = _grammar()
    assert grammar["scopeName"] == "source.clausula"
    assert grammar["fileTypes"] == ["clause"]
    for pattern in _flatten(grammar, grammar["patterns"]):
        for key in ("match", "begin", "end"):
            if key in pattern:
                re.compile(pattern[key])
    for reference in re.findall(r'"include": "#([\w-]+)"', GRAMMAR.read_text(encoding="utf-8")):
        assert reference in grammar["repository"]


def test_grammar_tokenizes_every_shipped_policy_line() -> None:
    """Every word of every shipped clause file gets a scope (nothing falls through)."""
    for path in sorted((REPO / "policies").rglob("*.clause")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            for piece, names in tokenize(line):
                if not names:
                    assert not piece.strip(), f"{path.name}: {piece!r} in {line!r} has no scope"


def test_smt_findings_are_warnings(client: Client) -> None:
    # Issue 16: what `clausula analyze` finds in a text without errors is a warning at its
    # place (here a gap: generation in January and February 2027 is decided by no clause).
    gap = (REPO / "tests" / "prove_corpus" / "gap" / "gap.clause").read_text(encoding="utf-8")
    _, diagnostics = _open(client, "gap.clause", gap)
    (warning,) = diagnostics
    assert warning["severity"] == 2  # warning
    assert warning["message"].startswith("gap: planted-gap: generation")
    assert "2027-01-01 to 2027-02-28" in warning["message"]
    line = gap.split("\n").index('contract "planted-gap" "A contract with a gap"')
    assert warning["range"]["start"] == _position(line, len("contract ")), warning
