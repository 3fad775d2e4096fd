"""Options that many commands share, written once: where the policies and the data are,
and which proposed laws to assume."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PoliciesOption = Annotated[
    Path, typer.Option("--policies", "-p", help="Directory of .clause files.")
]
DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Directory of data files. Default: the policies' data/."),
]
AssumeOption = Annotated[
    list[str] | None,
    typer.Option("--assume", metavar="PACK", help="Treat a proposed law as enacted."),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        max=16,
        help="Threads deciding batches side by side (Parquet and JSON Lines). Default: 2, "
        "or 1 on a one-core machine.",
    ),
]
