"""The workbench: a web page where lawyers write clauses and negotiators try terms, live.

`clausula workbench [POLICIES]` serves it on this machine; `clausula serve` serves the same
page at `/` behind the service's token. Server-rendered HTML with one small script and one
stylesheet shipped in this package (no CDN, no build step):

- `files`: the files of the policy directory that may be read and written (nothing outside);
- `editing`: diagnostics, hover and definition of a draft (the language server's analysis), `fmt`;
- `trying`: deciding and explaining uses against the draft, and re-deciding the saved uses;
- `negotiating`: scenario parameters as controls, live simulation, variants, contract diffs;
- `charts`: the charts as inline SVG;
- `routes`: the page and its JSON API.
"""

from .routes import workbench_router

__all__ = ["workbench_router"]
