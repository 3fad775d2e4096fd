"""`clausula serve` (the decision service) and `clausula filter` (the manifest filter).

Registered on the main Typer app by `clausula.cli`; kept here so that the service's
options live next to each other.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .cli import (
    LedgerKeyOption,
    LedgerOption,
    _console,
    _fail,
    _load_failed,
    _open_ledger,
    _require_policies,
    app,
)
from .cli_options import AssumeOption, DataOption, PoliciesOption, WorkersOption
from .limits import HEAD_SECONDS, HEAD_SECONDS_ENV

# The limits of a serving process (uvicorn's, and the body's), documented in docs/serving.md.
KEEP_ALIVE_SECONDS = 5
BODY_SECONDS = 30.0
CONCURRENCY = 1024
HEADER_BYTES = 16 * 1024
GRACEFUL_SECONDS = 10
HEAD_LIMITED_HTTP = "clausula.serve_protocol:HeadLimitedHTTP"


@app.command()
def serve(
    policies: Annotated[
        Path, typer.Option("--policies", "-p", help="Directory of .clause files (watched).")
    ] = Path("policies"),
    data: DataOption = None,
    assume: AssumeOption = None,
    ledger: LedgerOption = None,
    ledger_key: LedgerKeyOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes; each loads, watches and reloads the policies on its own.",
        ),
    ] = 1,
    reload_interval: Annotated[
        float,
        typer.Option(
            "--reload-interval", help="Seconds between looks at the policy files; 0: never."
        ),
    ] = 1.0,
    max_batch: Annotated[
        int, typer.Option("--max-batch", help="Most uses in one POST /v1/decide/batch.")
    ] = 10_000,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log", metavar="FILE", help="Append every decision to this decision log (JSON Lines)."
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning, error.")
    ] = "info",
    timeout_keep_alive: Annotated[
        int,
        typer.Option(
            "--timeout-keep-alive",
            min=1,
            help="Seconds an idle keep-alive connection is kept open between requests.",
        ),
    ] = KEEP_ALIVE_SECONDS,
    head_seconds: Annotated[
        float,
        typer.Option(
            "--head-seconds",
            min=0.1,
            help="Seconds a connection has to send a whole request line and headers, from "
            "connecting or from the previous answer; then it is closed.",
        ),
    ] = HEAD_SECONDS,
    body_seconds: Annotated[
        float,
        typer.Option(
            "--body-seconds", min=0.1, help="Seconds a client may take to send a request body."
        ),
    ] = BODY_SECONDS,
    limit_concurrency: Annotated[
        int,
        typer.Option(
            "--limit-concurrency",
            min=1,
            help="Open connections (and requests in progress) per process beyond which a "
            "new request is answered 503.",
        ),
    ] = CONCURRENCY,
    max_header_bytes: Annotated[
        int,
        typer.Option(
            "--max-header-bytes",
            min=1024,
            help="Most bytes of a request's line and headers (uvicorn's h11 parser).",
        ),
    ] = HEADER_BYTES,
    graceful_seconds: Annotated[
        int,
        typer.Option(
            "--timeout-graceful-shutdown",
            min=0,
            help="Seconds requests in progress get to finish when the service stops.",
        ),
    ] = GRACEFUL_SECONDS,
) -> None:
    """Run the decision service (HTTP, JSON): POST /v1/decide, /v1/decide/batch, /v1/check;
    GET /v1/policy, /healthz, /metrics; OpenAPI at /openapi.json and /docs.

    Policy files are watched: a change that checks is swapped in; a broken edit keeps the
    last good version serving and shows its errors on GET /v1/policy and in the log. Set
    CLAUSULA_TOKEN to require `Authorization: Bearer <token>` on the decide, check and
    reload endpoints. With --workers N, N processes share the port; each has its own metrics.
    """

    import uvicorn

    from .reload import LivePolicies
    from .service import ServeConfig, ServiceSettings, serve_app

    _require_policies(policies)
    if data is not None and not data.is_dir():
        _fail(f"cannot load data from {data}: there is no such directory")
    os.environ[HEAD_SECONDS_ENV] = repr(head_seconds)  # read by each serving process
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = ServeConfig(
        policies=policies,
        data=data,
        assume=tuple(assume or ()),
        ledger=ledger,
        reload_interval=reload_interval,
        max_batch=max_batch,
        decision_log=log,
        body_seconds=body_seconds,
    )
    if ledger_key is not None:  # the worker processes open the ledger with it too
        from .ledger import KEY_ENV

        os.environ[KEY_ENV] = str(ledger_key)
    ledger_store = _open_ledger(ledger, ledger_key, verify=True)
    # How uvicorn serves, in one process or in workers: the limits of docs/serving.md.
    server: dict[str, Any] = dict(
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,
        http=HEAD_LIMITED_HTTP,
        timeout_keep_alive=timeout_keep_alive,
        limit_concurrency=limit_concurrency,
        h11_max_incomplete_event_size=max_header_bytes,
        timeout_graceful_shutdown=graceful_seconds,
    )
    # This process loads the policies first, so that errors stop the start-up here.
    live = LivePolicies(
        policies=policies,
        data=data,
        assume=config.assume,
        ledger=ledger_store,
        freeze_gc=workers == 1,  # this process serves too
    )
    live.reload(force=True)
    snapshot = live.snapshot
    if snapshot.policy is None:
        _load_failed(
            list(snapshot.errors),
            policies,
            "the policies have errors, so the service did not start",
        )
    token = ServiceSettings.from_env().token
    processes = f"{workers} worker processes" if workers > 1 else "1 process"
    started = (
        f"clausula: serving {snapshot.policy.version} on http://{host}:{port} with {processes} "
        f"(token {'required' if token else 'not set'})"
    )
    del snapshot
    if workers == 1:
        try:
            application = serve_app(config, live)
        except OSError as error:
            _fail(f"cannot open the decision log {log}: {error.strerror}")
        typer.echo(started, err=True)
        try:
            uvicorn.run(
                application,
                **server,
            )
        finally:
            if ledger_store is not None:
                ledger_store.close()
        return

    # Each worker builds its own app from the environment (uvicorn starts workers from an
    # import string); this process only supervises them.
    del live
    if ledger_store is not None:
        ledger_store.close()
    if log is not None:
        from .decision_log import DecisionLog

        try:
            DecisionLog(log).close()
        except OSError as error:
            _fail(f"cannot open the decision log {log}: {error.strerror}")
    for name, value in config.environ().items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    os.environ["CLAUSULA_LOG_LEVEL"] = log_level
    typer.echo(started, err=True)
    uvicorn.run(
        "clausula.service:app_from_env",
        factory=True,
        workers=workers,
        **server,
    )


@app.command()
def publish(
    directories: Annotated[
        list[Path],
        typer.Argument(
            metavar="DIR...", help="Directories of a policy set (policies, and data if apart)."
        ),
    ],
) -> None:
    """Mark the files now in DIR as the published policy set: write DIR/.clausula-published,
    each clause and data file with its SHA-256 (the format of `sha256sum`). Run it last in a
    deploy: a service watching DIR loads the files only when they all match it, so a set
    still being written is never loaded."""
    from .publish import set_files, write_marker

    for directory in directories:
        if not directory.is_dir():
            _fail(f"cannot publish {directory}: there is no such directory")
        try:
            marker = write_marker(directory)
        except OSError as error:
            _fail(f"cannot publish {directory}: {error}")
        typer.echo(f"{marker}: {len(set_files(directory))} files published")


@app.command("filter")
def filter_(
    manifest: Annotated[
        str,
        typer.Argument(
            metavar="MANIFEST",
            help="CSV with a header and a `work` column (- for stdin), or a Parquet or "
            "JSON Lines table of uses (.parquet, .jsonl).",
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="OUT",
            help="Where to write the rows with their decisions (.csv, .parquet, .jsonl); "
            "- for stdout.",
        ),
    ],
    use: Annotated[
        Path | None,
        typer.Option(
            "--use", "-u", metavar="TEMPLATE.yaml", help="The fixed part of the use (YAML or JSON)."
        ),
    ] = None,
    policies: PoliciesOption = Path("policies"),
    data: DataOption = None,
    assume: AssumeOption = None,
    summary_path: Annotated[
        Path | None,
        typer.Option("--summary", metavar="SUMMARY.json", help="Also write the summary as JSON."),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar (only on a terminal).")
    ] = True,
    workers: WorkersOption = None,
) -> None:
    """Decide every row of a training manifest: which tracks may we use, what do we owe?

    Each row names a work (and optionally more fields of the use); the template holds the
    rest. The output is the manifest with `decision`, `reason`, `rule`, `owed` and
    `payments` columns; a summary (usable, denied by reason, total owed) is printed on
    stderr. Streams: memory stays flat for any file size.
    """
    from . import load
    from .diagnostics import PolicyError
    from .manifest import ManifestError, filter_manifest, load_template, summary_json, summary_text

    if manifest != "-" and not Path(manifest).is_file():
        _fail(f"cannot read {manifest}: there is no such file")
    if manifest != "-" and Path(manifest).suffix.lower() in (
        ".parquet",
        ".pq",
        ".jsonl",
        ".ndjson",
    ):
        from .cli_table import filter_files  # Parquet and JSON Lines: decided a batch at a time

        filter_files(manifest, use, output, policies, data, assume, summary_path, progress, workers)
        return
    if use is None:
        _fail("a CSV manifest needs a template: --use TEMPLATE.yaml")
    _require_policies(policies)
    try:
        template = load_template(use)
        policy = load(policies, data=data, assume=list(assume or ()))
    except ManifestError as error:
        _fail(str(error))
    except PolicyError as error:
        _load_failed(error.diagnostics, policies, "the policies have errors, so no row was decided")
    except (OSError, ValueError) as error:
        _fail(f"cannot load policies: {error}")

    err = _console(stderr=True)
    show = progress and err.is_terminal and manifest != "-"
    try:
        if show:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            total = Path(manifest).stat().st_size
            with Progress(
                TextColumn("deciding: {task.description} rows"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("0", total=total)

                def report(rows: int, chars: int) -> None:
                    bar.update(task, completed=min(chars, total), description=f"{rows:,}")

                summary = filter_manifest(policy, manifest, template, output, progress=report)
        else:
            summary = filter_manifest(policy, manifest, template, output)
    except ManifestError as error:
        _fail(str(error))
    for warning in summary.warnings:
        err.print(f"warning: {warning}", soft_wrap=True, markup=False)
    err.print(summary_text(summary), soft_wrap=True, markup=False, highlight=False)
    if summary_path is not None:
        try:
            summary_path.write_text(summary_json(summary) + "\n", encoding="utf-8")
        except OSError as error:
            _fail(f"cannot write {summary_path}: {error.strerror}")
    if output == "-":
        sys.stdout.flush()
