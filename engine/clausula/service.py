"""The decision service: an ASGI app (FastAPI) over a live, hot-reloaded policy set.

Endpoints (all JSON; errors are `application/problem+json`, RFC 9457, with a JSON Pointer
to every bad field):

- `POST /v1/decide`        one use → its decision
- `POST /v1/decide/batch`  a JSON array or JSON Lines of uses → the decisions, in order
- `POST /v1/check`         clause texts → diagnostics with line and column
- `GET  /v1/policy`        version, contracts, packs, parameters, last reload errors
- `POST /v1/policy/reload` look at the policy files now (admin)
- `GET  /healthz`, `GET /metrics` (Prometheus)

Every request takes the live policy snapshot once, at its start, and decides everything
with it, so a reload never mixes versions within one response. No endpoint reads a path
the client names: `/v1/check` receives the clause texts themselves.

Create the app with `create_app(LivePolicies(...))`; `clausula serve` runs it on uvicorn,
built by `serve_app(ServeConfig(...))` in one process, or by `app_from_env()` (an app
factory reading a `ServeConfig` from `CLAUSULA_*` environment variables) in each of
`--workers N` processes.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections import Counter as Tally
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .compiled import CompiledBlock
from .diagnostics import Diagnostic
from .errors import ClausulaError
from .json_input import JSONProblems, load_json
from .models import Decision, Use
from .policy_set import PolicySet, check_sources
from .reload import LivePolicies, PolicySnapshot, PolicyWatcher
from .use_input import UseError, UseProblem, parse_use
from .values import format_value

log = logging.getLogger("clausula.service")

TOKEN_ENV = "CLAUSULA_TOKEN"
PROBLEM_JSON = "application/problem+json"
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


# ------------------------------------------------------------------ settings and hooks


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Limits and access control of the service.

    `token`: when set, every endpoint that takes a body or acts — `POST /v1/decide`,
    `POST /v1/decide/batch` (which write the decision log), `POST /v1/check` (which runs
    the checker on any text) and `POST /v1/policy/reload` (admin) — requires
    `Authorization: Bearer <token>`.
    `clausula serve` reads it from the `CLAUSULA_TOKEN` environment variable.
    """

    max_body_bytes: int = 1 << 20  # one use, or the clause texts to check: 1 MiB
    max_batch_bytes: int = 32 << 20  # a batch: 32 MiB
    max_batch_uses: int = 10_000
    body_seconds: float = 30.0  # the most time a client may take to send a body
    token: str | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> ServiceSettings:
        """Settings with the token from `CLAUSULA_TOKEN` (unset or empty: no token)."""
        return cls(token=os.environ.get(TOKEN_ENV) or None, **overrides)


class DecisionLog(Protocol):
    """Where the service records every decision it makes: `clausula.decision_log.DecisionLog`
    (`clausula serve --log FILE`), or anything with the same `append`."""

    def append(self, use: Use, decision: Decision) -> None:
        """Record one decision about one use."""


# ------------------------------------------------------------------ response models (OpenAPI)


class ProblemItem(BaseModel):
    """One problem with the request: a JSON Pointer into the request body and a sentence."""

    pointer: str = Field(description="JSON Pointer (RFC 6901) into the request body")
    detail: str
    line: int | None = Field(default=None, description="line of a JSON Lines body, from 1")


class DiagnosticOut(BaseModel):
    """One problem in a clause file, with its place."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str
    message: str
    hint: str | None = None
    source_line: str | None = None


class Problem(BaseModel):
    """An error response (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemItem] = Field(default_factory=list)
    diagnostics: list[DiagnosticOut] | None = Field(
        default=None, description="why a policy reload failed (`POST /v1/policy/reload`)"
    )


class ClauseText(BaseModel):
    """One clause file, given by its text; `name` only labels the diagnostics."""

    name: str = Field(min_length=1, max_length=200, examples=["draft.clause"])
    text: str


class CheckRequest(BaseModel):
    """Clause files to check together, as one policy set."""

    model_config = {"extra": "forbid"}

    files: list[ClauseText] = Field(min_length=1, max_length=200)


class CheckResult(BaseModel):
    """The outcome of `POST /v1/check`: `ok` when there is no error."""

    ok: bool
    errors: int
    warnings: int
    diagnostics: list[DiagnosticOut]


class PolicyStatus(BaseModel):
    """The served policy set and the outcome of the last reload."""

    status: str = Field(description="`ok`, or `error` when the last reload failed")
    version: str | None
    contracts: list[str]
    jurisdictions: list[str]
    assumed: list[str]
    parameters: dict[str, dict[str, str]]
    loaded_at: str | None
    reloads: int
    failed_at: str | None = None
    failure: str | None = Field(
        default=None,
        description="why the last reload failed: `invalid` (the files have errors or could "
        "not be loaded) or `inconsistent` (not the published set: a deploy is unfinished)",
    )
    errors: list[DiagnosticOut] = Field(default_factory=list)


class Health(BaseModel):
    """`GET /healthz`."""

    status: str
    version: str | None


# ------------------------------------------------------------------ helpers


class _Problem(ClausulaError):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        errors: Sequence[ProblemItem] = (),
        diagnostics: Sequence[DiagnosticOut] | None = None,
    ) -> None:
        super().__init__(title)
        self.problem = Problem(
            title=title,
            status=status,
            detail=detail,
            errors=list(errors),
            diagnostics=list(diagnostics) if diagnostics is not None else None,
        )


def _problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> Response:
    body = problem.model_dump_json(exclude_none=True)
    return Response(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def _items(
    problems: Sequence[UseProblem], prefix: str = "", line: int | None = None
) -> list[ProblemItem]:
    return [ProblemItem(pointer=prefix + p.pointer, detail=p.message, line=line) for p in problems]


def _diagnostic_out(d: Diagnostic) -> DiagnosticOut:
    return DiagnosticOut(
        path=d.span.path,
        line=d.span.line,
        column=d.span.column,
        end_line=d.span.end_line or d.span.line,
        end_column=d.span.end_column or d.span.column,
        severity=d.severity,
        message=d.message,
        hint=d.hint,
        source_line=d.source_line,
    )


def _blocks(policy: PolicySet) -> list[CompiledBlock]:
    compiled = policy.compiled
    seen: dict[str, CompiledBlock] = {}
    for group in compiled.contracts_by_licensee.values():
        for block in group:
            seen.setdefault(block.name, block)
    for block in compiled.jurisdictions:
        seen.setdefault(block.name, block)
    return list(seen.values())


async def _read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The request body, refused with 413 as soon as it exceeds `limit` bytes, and with 408
    when it has not all arrived within `seconds` (a client trickling a body in would
    otherwise hold its connection and its memory for as long as it likes)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Problem(413, "Request body too large", f"the limit is {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(seconds) as scope:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _Problem(413, "Request body too large", f"the limit is {limit} bytes")
            chunks.append(chunk)
    if scope.cancelled_caught:
        raise _Problem(408, "Request body too slow", f"the limit is {seconds:g} seconds")
    return b"".join(chunks)


def _json(body: bytes | str, prefix: str = "", line: int | None = None) -> Any:
    """The JSON value of a body (or of one line of JSON Lines), read by the one JSON reader
    of uses (`clausula.json_input`: limits on depth and numbers, no NaN, no duplicate keys,
    no lone surrogates); anything else is a 400 problem pointing at the place."""
    try:
        return load_json(body)
    except JSONProblems as error:
        items = _body_items(error, prefix, line)
        raise _Problem(
            400, "Malformed JSON", f"the body is not acceptable JSON: {error}", items
        ) from None


def _body_items(
    error: JSONProblems, prefix: str = "", line: int | None = None
) -> list[ProblemItem]:
    return [ProblemItem(pointer=prefix + p, detail=m, line=line) for p, m in error.problems]


def _policy(snapshot: PolicySnapshot) -> PolicySet:
    if snapshot.policy is None:
        raise _Problem(503, "No policy loaded", "the policy files have errors; see GET /v1/policy")
    return snapshot.policy


def _problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    titles = {
        400: "Malformed JSON, or beyond the reader's limits (depth, number length, surrogates)",
        408: "The body did not arrive in time",
        401: "Missing or wrong bearer token",
        409: "The policy files are not the published set; the last good set is served",
        413: "Request body too large",
        415: "Unsupported media type",
        422: "The request cannot be processed; `errors` points at each bad field "
        "(for a reload: the policy files have errors, in `diagnostics`)",
        503: "No policy loaded, or the consent ledger cannot be read",
    }
    return {
        code: {
            "description": titles[code],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


def _body(ref: str, *, lines: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": ref}}}
    if lines:
        content["application/json"] = {
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Use"}}
        }
        content["application/x-ndjson"] = {"schema": {"type": "string"}}
    return {"requestBody": {"required": True, "content": content}}


class _ProblemOnCrash:
    """ASGI middleware: an unexpected error becomes a problem+json 500, logged with its
    traceback, and the connection stays open for the next request.

    Starlette's own last resort answers `text/plain` and raises the error again, after which
    the ASGI server closes the keep-alive connection; here the error ends with the answer.
    An error after the answer has started (never seen: answers are written in one piece)
    is raised on: the server then closes the connection, the only honest end.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            if started:
                raise
            body = Problem(
                title="Internal error",
                status=500,
                detail="the service failed to answer this request; the error is in its log",
            ).model_dump_json(exclude_none=True)
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body.encode()})


# ------------------------------------------------------------------ the app


def create_app(
    live: LivePolicies,
    settings: ServiceSettings | None = None,
    *,
    decision_log: DecisionLog | None = None,
    lifespan: Callable[[FastAPI], Any] | None = None,
) -> FastAPI:
    """The ASGI app deciding with `live` (which the caller keeps reloading, or not).

    `lifespan`: an async context manager factory run around the app's life by the ASGI
    server (`serve_app` starts and stops the policy watcher with it).
    """
    settings = settings or ServiceSettings()
    ledger_failures = _ledger_failures() if live.consent_ledger is not None else ()
    registry = CollectorRegistry()
    decisions_total = Counter(
        "clausula_decisions",
        "Decisions made, by outcome",
        ["outcome"],
        registry=registry,
    )
    rejected_total = Counter(
        "clausula_rejected_uses", "Uses that could not be decided (422)", registry=registry
    )
    latency = Histogram(
        "clausula_request_duration_seconds",
        "Time to answer a request, by endpoint",
        ["endpoint"],
        buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        registry=registry,
    )
    policy_info = Gauge(
        "clausula_policy_info",
        "The served policy version (value 1)",
        ["version"],
        registry=registry,
    )
    reload_failing = Gauge(
        "clausula_policy_reload_failing",
        "1 when the last policy reload failed (the last good version is still served)",
        registry=registry,
    )
    outcome_counters = {o: decisions_total.labels(o) for o in ("allow", "deny", "pay")}
    batch_slot: list[anyio.CapacityLimiter] = []  # made on first use, in the event loop

    def one_batch_at_a_time() -> anyio.CapacityLimiter:
        if not batch_slot:
            batch_slot.append(anyio.CapacityLimiter(1))
        return batch_slot[0]

    timers = {
        name: latency.labels(name) for name in ("decide", "batch", "check", "policy", "reload")
    }

    app = FastAPI(
        title="Clausula decision service",
        version="1",
        description=(
            "Decide proposed uses of music by AI: allow, deny or pay, with payments, "
            "obligations and the clause behind every part of the answer."
        ),
        lifespan=lifespan,
    )
    app.add_middleware(_ProblemOnCrash)
    app.state.live = live
    app.state.settings = settings
    app.state.registry = registry

    def authorize(request: Request) -> None:
        if settings.token is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), settings.token.encode()
        ):
            raise _Problem(
                401, "Missing or wrong bearer token", f"set `Authorization: Bearer …` ({TOKEN_ENV})"
            )

    @app.exception_handler(_Problem)
    async def _on_problem(request: Request, error: _Problem) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if error.problem.status == 401 else None
        return _problem_response(error.problem, headers)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, error: StarletteHTTPException) -> Response:
        return _problem_response(Problem(title=str(error.detail), status=error.status_code))

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, error: RequestValidationError) -> Response:
        items = [
            ProblemItem(
                pointer="/" + "/".join(str(p) for p in item["loc"][1:]),
                detail=str(item["msg"]),
            )
            for item in error.errors()
        ]
        return _problem_response(
            Problem(title="The request is not valid", status=422, errors=items)
        )

    def timed(name: str) -> Callable[[float], None]:
        histogram = timers[name]
        return histogram.observe

    # -------------------------------------------------------------- decide

    @app.post(
        "/v1/decide",
        summary="Decide one use",
        response_model=None,
        responses={
            200: {"description": "The decision", "model": Decision},
            **_problem_responses(400, 401, 408, 413, 422, 503),
        },
        openapi_extra=_body("#/components/schemas/Use"),
    )
    async def decide(request: Request) -> Response:
        """Decide one proposed use: allow, deny or pay, with payments, obligations, reasons."""
        start = time.perf_counter()
        authorize(request)
        policy = _policy(live.snapshot)  # this request's policy, whatever reloads meanwhile
        body = await _read_body(request, settings.max_body_bytes, settings.body_seconds)
        if ledger_failures:  # the ledger may wait on its database: not on the event loop
            text = await run_in_threadpool(decide_one, policy, body)
        else:
            text = decide_one(policy, body)
        response = Response(text, media_type="application/json")
        timed("decide")(time.perf_counter() - start)
        return response

    def decide_one(policy: PolicySet, body: bytes) -> str:
        try:
            use = parse_use(_json(body), policy.vocabulary)
            decision = policy.decide(use)
        except UseError as error:
            rejected_total.inc()
            raise _Problem(
                422, "The use cannot be decided", str(error), _items(error.problems)
            ) from None
        except ledger_failures as error:
            raise _ledger_problem(error) from None
        outcome_counters[decision.decision].inc()
        if decision_log is not None:
            decision_log.append(use, decision)
        return decision.to_json()

    @app.post(
        "/v1/decide/batch",
        summary="Decide many uses, in order",
        response_model=None,
        responses={
            200: {
                "description": "The decisions, in the order of the uses",
                "model": list[Decision],
            },
            **_problem_responses(400, 401, 408, 413, 422, 503),
        },
        openapi_extra=_body("#/components/schemas/Use", lines=True),
    )
    async def decide_batch(request: Request) -> Response:
        """Decide a JSON array of uses, or JSON Lines (`Content-Type: application/x-ndjson`).

        At most `max_batch_uses` uses (default 10,000). All-or-nothing: if any use cannot
        be decided, the answer is 422 with a pointer (`/3/territory`) to each bad field and
        no decision. JSON Lines in, JSON Lines out; otherwise a JSON array.
        """
        start = time.perf_counter()
        authorize(request)
        policy = _policy(live.snapshot)
        body = await _read_body(request, settings.max_batch_bytes, settings.body_seconds)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        as_lines = content_type in JSON_LINES_TYPES
        # Parsing, validating, deciding and writing the answer take the processor for a
        # while: in a worker thread, so that the event loop goes on answering, and one
        # batch at a time, in order of arrival: two batches deciding in two threads of one
        # process would take turns on the one lock Python code runs under, both finishing
        # later and costing more processor time (measured: 10-20% more per decision).
        text = await anyio.to_thread.run_sync(
            decide_many, policy, body, as_lines, limiter=one_batch_at_a_time()
        )
        media_type = "application/x-ndjson" if as_lines else "application/json"
        response = Response(text, media_type=media_type)
        timed("batch")(time.perf_counter() - start)
        return response

    def decide_many(policy: PolicySet, body: bytes, as_lines: bool) -> bytes:
        items, lines = _batch_items(body, as_lines, settings.max_batch_uses)
        try:
            uses, decisions = _decide_batch(policy, items, lines)
        except _Rejected:
            rejected_total.inc()
            raise
        except ledger_failures as error:
            raise _ledger_problem(error) from None
        for outcome, number in Tally(d.decision for d in decisions).items():
            outcome_counters[outcome].inc(number)
        if decision_log is not None:
            for use, decision in zip(uses, decisions, strict=True):
                decision_log.append(use, decision)
        return _decisions_json(decisions, as_lines)

    # -------------------------------------------------------------- check, policy, reload

    @app.post(
        "/v1/check",
        summary="Check clause texts",
        response_model=CheckResult,
        responses=_problem_responses(400, 401, 408, 413, 422),
        openapi_extra=_body("#/components/schemas/CheckRequest"),
    )
    async def check(request: Request) -> CheckResult:
        """Parse and check clause texts together, as one policy set (the standard vocabulary
        is used when none of them declares one). The answer is 200 with `ok: false` when
        the texts have errors; each diagnostic has its line and column."""
        start = time.perf_counter()
        authorize(request)
        body = await _read_body(request, settings.max_body_bytes, settings.body_seconds)
        try:
            payload = CheckRequest.model_validate(_json(body))
        except ValueError as error:
            raise _Problem(
                422, "The request is not valid", None, _validation_items(error)
            ) from None
        names = [f.name for f in payload.files]
        if len(set(names)) != len(names):
            raise _Problem(
                422,
                "The request is not valid",
                None,
                [ProblemItem(pointer="/files", detail="two files have the same name")],
            )
        texts = {f.name: f.text for f in payload.files}
        diagnostics = await run_in_threadpool(check_sources, texts)
        errors = sum(1 for d in diagnostics if d.severity == "error")
        result = CheckResult(
            ok=errors == 0,
            errors=errors,
            warnings=len(diagnostics) - errors,
            diagnostics=[_diagnostic_out(d) for d in diagnostics],
        )
        timed("check")(time.perf_counter() - start)
        return result

    @app.get("/v1/policy", summary="The served policy set", response_model=PolicyStatus)
    async def policy_status() -> PolicyStatus:
        """Version, contracts, jurisdiction packs and parameters of the served policy set;
        `status: error` and the diagnostics when the last reload failed (the last good set
        is still served)."""
        return _status(live.snapshot)

    @app.post(
        "/v1/policy/reload",
        summary="Reload the policy files now",
        response_model=PolicyStatus,
        responses=_problem_responses(401, 408, 409, 413, 422),
    )
    async def reload(request: Request) -> PolicyStatus:
        """Look at the policy files now instead of at the next poll (admin).

        200 with the served set when the files load (or are unchanged and loaded); when
        they do not, the last good set goes on serving and the answer is a problem: 409
        when the files are not the published set (a deploy is unfinished), 422 when they
        have errors or cannot be loaded, with the diagnostics."""
        authorize(request)
        # No body is expected; one sent anyway is read within the limits and dropped.
        await _read_body(request, settings.max_body_bytes, settings.body_seconds)
        start = time.perf_counter()
        await run_in_threadpool(live.reload)
        timed("reload")(time.perf_counter() - start)
        snapshot = live.snapshot
        if snapshot.errors:
            serving = snapshot.policy.version if snapshot.policy else "no policy set"
            inconsistent = snapshot.failure == "inconsistent"
            raise _Problem(
                409 if inconsistent else 422,
                "The policy files are not a published set"
                if inconsistent
                else "The policy files cannot be loaded",
                f"still serving {serving}: {snapshot.errors[0].message}",
                diagnostics=[_diagnostic_out(d) for d in snapshot.errors],
            )
        return _status(snapshot)

    @app.get(
        "/healthz",
        summary="Liveness and readiness",
        response_model=Health,
        responses={503: {"model": Health, "description": "No policy loaded"}},
    )
    async def healthz() -> Response:
        """`ok` with the served version; 503 when no policy set could be loaded at all."""
        snapshot = live.snapshot
        version = snapshot.policy.version if snapshot.policy else None
        health = Health(status="ok" if version else "no policy", version=version)
        return Response(
            health.model_dump_json(),
            status_code=200 if version else 503,
            media_type="application/json",
        )

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {
                "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                "description": "Prometheus text format",
            }
        },
    )
    async def metrics() -> Response:
        """Decisions by outcome, latency by endpoint, the served policy version."""
        snapshot = live.snapshot
        policy_info.clear()
        if snapshot.policy is not None:
            policy_info.labels(snapshot.policy.version).set(1)
        reload_failing.set(1 if snapshot.errors else 0)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (Use, Problem, CheckRequest):
                model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(model_schema.pop("$defs", {}))
                components[model.__name__] = model_schema
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if live.policies.is_dir():  # the workbench at `/`, behind the same token (issue 18)
        from .workbench import workbench_router

        app.include_router(workbench_router(live.policies, settings.token))
    return app


def _validation_items(error: Exception) -> list[ProblemItem]:
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return [ProblemItem(pointer="", detail=str(error))]
    return [
        ProblemItem(pointer="/" + "/".join(str(p) for p in item["loc"]), detail=item["msg"])
        for item in error.errors(include_url=False)
    ]


def _batch_items(body: bytes, as_lines: bool, limit: int) -> tuple[list[Any], list[int] | None]:
    """The items of a batch body, and their line numbers for JSON Lines."""
    if not as_lines:
        items = _json(body)
        if not isinstance(items, list):
            raise _Problem(
                422,
                "A batch is a JSON array of uses",
                "send a JSON array, or JSON Lines with Content-Type: application/x-ndjson",
                [ProblemItem(pointer="", detail="expected a JSON array of uses")],
            )
        lines = None
    else:
        items, numbers, bad = [], [], []
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _Problem(
                400,
                "Malformed JSON",
                "the body is not UTF-8",
                [ProblemItem(pointer="", detail=f"not UTF-8 at byte {error.start}")],
            ) from None
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                items.append(load_json(line))
            except JSONProblems as error:
                bad += _body_items(error, f"/{len(items)}", number)
                items.append(None)
            numbers.append(number)
        if bad:
            raise _Problem(400, "Malformed JSON", "a line of the body is not valid JSON", bad)
        lines = numbers
    if len(items) > limit:
        raise _Problem(413, "Too many uses in one batch", f"the limit is {limit} uses per batch")
    return items, lines


_USES: TypeAdapter[list[Use]] = TypeAdapter(list[Use])
_DECISIONS: TypeAdapter[list[Decision]] = TypeAdapter(list[Decision])
_WITHOUT_ASSUMED: dict[str, Any] = {"policy": {"assumed"}}


class _Rejected(_Problem):
    """Some uses of a batch cannot be decided (422, counted as rejected)."""


def _decide_batch(
    policy: PolicySet, items: list[Any], lines: list[int] | None
) -> tuple[list[Use], list[Decision]]:
    """The uses and their decisions in order, or `_Rejected` with every bad use.

    The uses are validated in one pydantic call: the same validation as `parse_use` on
    each item (parsed JSON in, Python mode, so that a fact such as "2026-09-01" stays a
    string, as on the one-use path). Only when that fails is each item validated on its
    own, to say what is wrong with which one; the valid ones are still decided then, so
    that the answer lists the policy's objections (`/1/territory`) too.
    """
    uses: list[Use] | None
    try:
        uses = _USES.validate_python(items)
    except ValidationError:
        uses = None
    decide = policy.decide
    decisions: list[Decision] = []
    problems: list[ProblemItem] = []
    if uses is not None:
        for index, use in enumerate(uses):
            try:
                decisions.append(decide(use))
            except UseError as error:
                problems += _items(error.problems, f"/{index}", lines[index] if lines else None)
    else:
        uses = []
        for index, item in enumerate(items):
            try:
                use = parse_use(item, policy.vocabulary)
                decisions.append(decide(use))
                uses.append(use)
            except UseError as error:
                problems += _items(error.problems, f"/{index}", lines[index] if lines else None)
    if problems:
        raise _Rejected(
            422,
            "Some uses cannot be decided",
            f"{len(problems)} problem(s); no use was decided",
            problems,
        )
    return uses, decisions


def _decisions_json(decisions: list[Decision], as_lines: bool) -> bytes:
    """The decisions as a JSON array, or JSON Lines: each exactly `Decision.to_json()`.

    `to_json` leaves out `policy.assumed` when it is empty. All the decisions of one batch
    come from one policy set, so that is all or none of them, and the array is written by
    one serialiser call; a mixture (never seen) is written decision by decision.
    """
    with_assumed = sum(1 for d in decisions if d.policy.assumed)
    if as_lines or 0 < with_assumed < len(decisions):
        serialise = Decision.__pydantic_serializer__.to_json
        texts = [
            serialise(d, exclude=None if d.policy.assumed else _WITHOUT_ASSUMED) for d in decisions
        ]
        if as_lines:
            return b"".join(t + b"\n" for t in texts)
        return b"[" + b",".join(texts) + b"]"
    exclude = None if with_assumed else {"__all__": _WITHOUT_ASSUMED}
    return _DECISIONS.dump_json(decisions, exclude=exclude)


def _ledger_failures() -> tuple[type[Exception], ...]:
    """What the consent ledger raises when its database cannot be read."""
    from sqlalchemy.exc import SQLAlchemyError

    from .ledger import LedgerError

    return (LedgerError, SQLAlchemyError)


def _ledger_problem(error: Exception) -> _Problem:
    from .ledger import ChainBroken

    if isinstance(error, ChainBroken):  # tampered with: decided on by no one until mended
        log.error("the consent ledger's hash chain is broken: %s", error)
        return _Problem(
            503, "The consent ledger's hash chain is broken", f"no use was decided: {error}"
        )
    log.error("the consent ledger cannot be read: %s", error)
    return _Problem(503, "The consent ledger cannot be read", "no use was decided; try again later")


def _status(snapshot: PolicySnapshot) -> PolicyStatus:
    policy = snapshot.policy
    errors = [_diagnostic_out(d) for d in snapshot.errors]
    parameters: dict[str, dict[str, str]] = {}
    if policy is not None:
        for block in _blocks(policy):
            if block.parameters:
                parameters[block.name] = {k: format_value(v) for k, v in block.parameters.items()}
    return PolicyStatus(
        status="error" if errors or policy is None else "ok",
        version=policy.version if policy else None,
        contracts=list(policy.contracts) if policy else [],
        jurisdictions=list(policy.jurisdictions) if policy else [],
        assumed=sorted(policy.assumed) if policy else [],
        parameters=parameters,
        loaded_at=snapshot.loaded_at.isoformat() if snapshot.loaded_at else None,
        reloads=snapshot.reloads,
        failed_at=snapshot.failed_at.isoformat() if snapshot.failed_at else None,
        failure=snapshot.failure if errors else None,
        errors=errors,
    )


# ------------------------------------------------------------------ `clausula serve`

ENV_PREFIX = "CLAUSULA_"


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """What `clausula serve` serves. Each worker process of `--workers N` reads it from the
    environment (`from_env`), where the command line put it (`environ`):

    | variable | field |
    |---|---|
    | `CLAUSULA_POLICIES` | `policies`, the directory of clause files |
    | `CLAUSULA_DATA` | `data`, the directory of data files |
    | `CLAUSULA_ASSUME` | `assume`, comma-separated proposed laws to treat as enacted |
    | `CLAUSULA_LEDGER` | `ledger`, the consent ledger's URL |
    | `CLAUSULA_RELOAD_INTERVAL` | `reload_interval`, seconds between looks; 0: never |
    | `CLAUSULA_MAX_BATCH` | `max_batch`, the most uses in one batch |
    | `CLAUSULA_DECISION_LOG` | `decision_log`, the file every decision is appended to |
    | `CLAUSULA_BODY_SECONDS` | `body_seconds`, the most time a client may take to send a body |

    The bearer token is `CLAUSULA_TOKEN`, read by `ServiceSettings.from_env`;
    `app_from_env` also reads `CLAUSULA_LOG_LEVEL` when logging is not set up yet.
    """

    policies: Path = Path("policies")
    data: Path | None = None
    assume: tuple[str, ...] = ()
    ledger: str | None = None
    reload_interval: float = 1.0
    max_batch: int = 10_000
    decision_log: Path | None = None
    body_seconds: float = 30.0

    def environ(self) -> dict[str, str | None]:
        """The environment variables that give this configuration (None: unset)."""
        return {
            "CLAUSULA_POLICIES": str(self.policies),
            "CLAUSULA_DATA": str(self.data) if self.data is not None else None,
            "CLAUSULA_ASSUME": ",".join(self.assume) or None,
            "CLAUSULA_LEDGER": self.ledger,
            "CLAUSULA_RELOAD_INTERVAL": repr(self.reload_interval),
            "CLAUSULA_MAX_BATCH": str(self.max_batch),
            "CLAUSULA_DECISION_LOG": (
                str(self.decision_log) if self.decision_log is not None else None
            ),
            "CLAUSULA_BODY_SECONDS": repr(self.body_seconds),
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServeConfig:
        """The configuration in `environ` (default `os.environ`); unset or empty: default.

        Raises `ValueError` naming the variable whose value is not a number.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(ENV_PREFIX + name) or None

        def number(name: str, kind: Callable[[str], Any], default: Any) -> Any:
            text = get(name)
            if text is None:
                return default
            try:
                return kind(text)
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{name}={text!r} is not a number") from None

        data, log_file = get("DATA"), get("DECISION_LOG")
        return cls(
            policies=Path(get("POLICIES") or "policies"),
            data=Path(data) if data else None,
            assume=tuple(a.strip() for a in (get("ASSUME") or "").split(",") if a.strip()),
            ledger=get("LEDGER"),
            reload_interval=number("RELOAD_INTERVAL", float, 1.0),
            max_batch=number("MAX_BATCH", int, 10_000),
            decision_log=Path(log_file) if log_file else None,
            body_seconds=number("BODY_SECONDS", float, 30.0),
        )


def serve_app(config: ServeConfig, live: LivePolicies | None = None) -> FastAPI:
    """The app `clausula serve` runs in each process: the policies of `config` (or `live`,
    already loaded), watched by a thread that runs while the app does, the decision log
    and the ledger opened, the token from `CLAUSULA_TOKEN`.

    Raises `clausula.ledger.LedgerError` when the ledger cannot be opened and `OSError`
    when the decision log cannot be. A first load with errors still gives an app: it
    answers 503 and shows the errors on `GET /v1/policy` until the files are fixed.
    """
    if live is None:
        live = LivePolicies(
            policies=config.policies,
            data=config.data,
            assume=config.assume,
            ledger=config.ledger,
            freeze_gc=True,
        )
        live.reload(force=True)
    decision_log = None
    if config.decision_log is not None:
        from .decision_log import DecisionLog as DecisionLogFile

        head = getattr(live.consent_ledger, "cached_head", None)
        decision_log = DecisionLogFile(config.decision_log, ledger_head=head)
    watcher = PolicyWatcher(live, config.reload_interval) if config.reload_interval > 0 else None
    log_file = decision_log

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if watcher is not None:
            watcher.start()
        try:
            yield
        finally:
            if watcher is not None:
                watcher.stop()
            if log_file is not None:
                log_file.close()
            live.close()

    settings = ServiceSettings.from_env(
        max_batch_uses=config.max_batch, body_seconds=config.body_seconds
    )
    return create_app(live, settings, decision_log=decision_log, lifespan=lifespan)


def app_from_env() -> FastAPI:
    """An app factory for uvicorn's worker processes: `serve_app(ServeConfig.from_env())`.

    `clausula serve --workers N` runs `uvicorn.run("clausula.service:app_from_env",
    factory=True, workers=N)`; each worker loads the policies, watches them and reloads
    on its own. Usable directly: `uvicorn --factory clausula.service:app_from_env`.
    """
    if not logging.getLogger().handlers:
        level = (os.environ.get("CLAUSULA_LOG_LEVEL") or "info").upper()
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serve_app(ServeConfig.from_env())
