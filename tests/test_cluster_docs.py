"""docs/cluster.md's examples need a cluster to run; here each Python block is checked to
be valid Python, and every `clausula` name it imports or calls to exist with the keyword
arguments it passes."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from test_docs import _blocks

PAGE = Path(__file__).resolve().parents[1] / "docs" / "cluster.md"


def test_cluster_examples_use_the_real_api() -> None:
    blocks = _blocks(PAGE, "python")
    assert len(blocks) == 2
    for line, code in blocks:
        tree = ast.parse(code, filename=f"{PAGE}:{line}")
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "clausula":
                for name in node.names:
                    aliases[name.asname or name.name] = importlib.import_module(
                        f"clausula.{name.name}"
                    )
        assert aliases, f"{PAGE.name}:{line} imports nothing from clausula"
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in aliases
        ]
        assert calls
        for call in calls:
            function = getattr(aliases[call.func.value.id], call.func.attr)  # type: ignore[attr-defined]
            parameters = inspect.signature(function).parameters
            for keyword in call.keywords:
                assert keyword.arg in parameters, f"{PAGE.name}:{line}: {keyword.arg}"
