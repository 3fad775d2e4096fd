"""`clausula catalogue`: the catalogue data in the field's formats.

The group's commands live with their format: `tdm` in `cli_tdm` (TDM reservations),
`import-ddex` and `ddex-uses` in `cli_ddex` (DDEX).
"""

from __future__ import annotations

import typer

catalogue_app = typer.Typer(
    name="catalogue",
    help="The catalogue data in the field's formats: read TDM reservations (tdm), import a "
    "DDEX release (import-ddex), say what a decision permits as DDEX use types (ddex-uses).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
