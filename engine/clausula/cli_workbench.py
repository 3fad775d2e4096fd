"""`clausula workbench`: the workbench page on this machine (issue 18).

It is the decision service (`clausula serve`) on the loopback interface with a token: the
page at `/`, where the policy files are edited, uses tried and scenarios negotiated. The
token is `CLAUSULA_TOKEN`, or a fresh random one; the address printed carries it once
(`/?token=…`), after which the browser keeps it in a cookie.
"""

from __future__ import annotations

import os
import secrets
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from .cli import _fail, app

DEFAULT_PORT = 8421


@app.command()
def workbench(
    policies: Annotated[
        Path, typer.Argument(metavar="POLICIES", help="The policy directory to work on.")
    ] = Path("policies"),
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on (keep the loopback).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = (
        DEFAULT_PORT
    ),
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the page in the default browser.")
    ] = True,
) -> None:
    """Open the workbench: write clause files with the checker's diagnostics as you type,
    decide and explain uses against the draft, and move a scenario's terms to see the
    simulation change — in a web page served on this machine.

    Policy files with errors still open (fix them in the page). The address printed holds
    a token (CLAUSULA_TOKEN, or a random one): only its holder can read or save files.
    """
    import uvicorn

    from .service import TOKEN_ENV, ServeConfig, serve_app

    if not policies.is_dir():
        _fail(f"cannot open the workbench on {policies}: there is no such directory")
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    os.environ[TOKEN_ENV] = token  # read by the app, as `clausula serve` does
    application = serve_app(ServeConfig(policies=policies, reload_interval=1.0))
    address = f"http://{host}:{port}/?token={token}"
    typer.echo(f"clausula: the workbench for {policies} is at {address}", err=True)
    if open_browser:
        webbrowser.open(address)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
