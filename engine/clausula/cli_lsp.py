"""`clausula lsp`: the language server for editors, on standard input and output.

Registered on the main Typer app by `clausula.cli`.
"""

from __future__ import annotations

from .cli import app


@app.command("lsp")
def lsp_() -> None:
    """Run the language server for editors (Language Server Protocol on stdin/stdout).

    Gives the checker's diagnostics as you type, hover on parameters, definitions and
    clause references, go to definition, and formatting. Started by the editor, not by hand:
    point your editor's LSP client at the command `clausula lsp`.
    """
    from .lsp import serve_stdio

    serve_stdio()
