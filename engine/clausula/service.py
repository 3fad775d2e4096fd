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

Create the app with `create_app(LivePolicies(...))`; `clausula serve` runs it on uvicorn.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .compiler import CompiledBlock, format_value
from .diagnostics import Diagnostic
from .models import Decision, Use
from .policy_set import PolicySet, check_sources
from .reload import LivePolicies, PolicySnapshot
from .use_input import UseError, UseProblem, parse_use

log = logging.getLogger("clausula.service")

TOKEN_ENV = "CLAUSULA_TOKEN"
PROBLEM_JSON = "application/problem+json"
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


# ------------------------------------------------------------------ settings and hooks


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Limits and access control of the service.

    `token`: when set, `POST /v1/decide`, `POST /v1/decide/batch` (which write the decision
    log) and `POST /v1/policy/reload` (admin) require `Authorization: Bearer <token>`.
    `clausula serve` reads it from the `CLAUSULA_TOKEN` environment variable.
    """

    max_body_bytes: int = 1 << 20  # one use, or the clause texts to check: 1 MiB
    max_batch_bytes: int = 32 << 20  # a batch: 32 MiB
    max_batch_uses: int = 10_000
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


class Problem(BaseModel):
    """An error response (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemItem] = Field(default_factory=list)


class ClauseText(BaseModel):
    """One clause file, given by its text; `name` only labels the diagnostics."""

    name: str = Field(min_length=1, max_length=200, examples=["draft.clause"])
    text: str


class CheckRequest(BaseModel):
    """Clause files to check together, as one policy set."""

    model_config = {"extra": "forbid"}

    files: list[ClauseText] = Field(min_length=1, max_length=200)


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
    errors: list[DiagnosticOut] = Field(default_factory=list)


class Health(BaseModel):
    """`GET /healthz`."""

    status: str
    version: str | None


# ------------------------------------------------------------------ helpers


class _Problem(Exception):
    def __init__(
        self, status: int, title: str, detail: str | None = None, errors: Sequence[ProblemItem] = ()
    ) -> None:
        super().__init__(title)
        self.problem = Problem(title=title, status=status, detail=detail, errors=list(errors))


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


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Problem(413, "Request body too large", f"the limit is {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Problem(413, "Request body too large", f"the limit is {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _Problem(400, "Malformed JSON", f"the body is not valid JSON: {error}") from None


def _policy(snapshot: PolicySnapshot) -> PolicySet:
    if snapshot.policy is None:
        raise _Problem(503, "No policy loaded", "the policy files have errors; see GET /v1/policy")
    return snapshot.policy


def _problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    titles = {
        400: "Malformed JSON",
        401: "Missing or wrong bearer token",
        413: "Request body too large",
        415: "Unsupported media type",
        422: "The request cannot be processed; `errors` points at each bad field",
        503: "No policy loaded",
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


# ------------------------------------------------------------------ the app


def create_app(
    live: LivePolicies,
    settings: ServiceSettings | None = None,
    *,
    decision_log: DecisionLog | None = None,
) -> FastAPI:
    """The ASGI app deciding with `live` (which the caller keeps reloading, or not)."""
    settings = settings or ServiceSettings()
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
    )
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

    def count(decision: Decision) -> None:
        outcome_counters[decision.decision].inc()

    def logged(use: Use, decision: Decision) -> None:
        if decision_log is not None:
            decision_log.append(use, decision)

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
            **_problem_responses(400, 401, 413, 422, 503),
        },
        openapi_extra=_body("#/components/schemas/Use"),
    )
    async def decide(request: Request) -> Response:
        """Decide one proposed use: allow, deny or pay, with payments, obligations, reasons."""
        start = time.perf_counter()
        authorize(request)
        policy = _policy(live.snapshot)  # this request's policy, whatever reloads meanwhile
        body = await _read_body(request, settings.max_body_bytes)
        try:
            use = parse_use(_json(body))
            decision = policy.decide(use)
        except UseError as error:
            rejected_total.inc()
            raise _Problem(
                422, "The use cannot be decided", str(error), _items(error.problems)
            ) from None
        count(decision)
        logged(use, decision)
        response = Response(decision.to_json(), media_type="application/json")
        timed("decide")(time.perf_counter() - start)
        return response

    @app.post(
        "/v1/decide/batch",
        summary="Decide many uses, in order",
        response_model=None,
        responses={
            200: {
                "description": "The decisions, in the order of the uses",
                "model": list[Decision],
            },
            **_problem_responses(400, 401, 413, 422, 503),
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
        body = await _read_body(request, settings.max_batch_bytes)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        as_lines = content_type in JSON_LINES_TYPES
        items, lines = _batch_items(body, as_lines, settings.max_batch_uses)
        decided = await run_in_threadpool(_decide_batch, policy, items, lines)
        if isinstance(decided, _Problem):
            rejected_total.inc()
            raise decided
        for use, decision in decided:
            count(decision)
            logged(use, decision)
        texts = [decision.to_json() for _, decision in decided]
        if as_lines:
            response = Response("".join(t + "\n" for t in texts), media_type="application/x-ndjson")
        else:
            response = Response("[" + ",".join(texts) + "]", media_type="application/json")
        timed("batch")(time.perf_counter() - start)
        return response

    # -------------------------------------------------------------- check, policy, reload

    @app.post(
        "/v1/check",
        summary="Check clause texts",
        response_model=CheckResult,
        responses=_problem_responses(400, 413, 422),
        openapi_extra=_body("#/components/schemas/CheckRequest"),
    )
    async def check(request: Request) -> CheckResult:
        """Parse and check clause texts together, as one policy set (the standard vocabulary
        is used when none of them declares one). The answer is 200 with `ok: false` when
        the texts have errors; each diagnostic has its line and column."""
        start = time.perf_counter()
        body = await _read_body(request, settings.max_body_bytes)
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
        responses=_problem_responses(401),
    )
    async def reload(request: Request) -> PolicyStatus:
        """Look at the policy files now instead of at the next poll (admin)."""
        authorize(request)
        start = time.perf_counter()
        await run_in_threadpool(live.reload)
        timed("reload")(time.perf_counter() - start)
        return _status(live.snapshot)

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
            raise _Problem(400, "Malformed JSON", f"the body is not UTF-8: {error}") from None
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as error:
                bad.append(
                    ProblemItem(
                        pointer=f"/{len(items)}", detail=f"not valid JSON: {error}", line=number
                    )
                )
                items.append(None)
            numbers.append(number)
        if bad:
            raise _Problem(400, "Malformed JSON", "a line of the body is not valid JSON", bad)
        lines = numbers
    if len(items) > limit:
        raise _Problem(413, "Too many uses in one batch", f"the limit is {limit} uses per batch")
    return items, lines


def _decide_batch(
    policy: PolicySet, items: list[Any], lines: list[int] | None
) -> list[tuple[Use, Decision]] | _Problem:
    decided: list[tuple[Use, Decision]] = []
    problems: list[ProblemItem] = []
    for index, item in enumerate(items):
        try:
            use = parse_use(item)
            decided.append((use, policy.decide(use)))
        except UseError as error:
            problems += _items(error.problems, f"/{index}", lines[index] if lines else None)
    if problems:
        return _Problem(
            422,
            "Some uses cannot be decided",
            f"{len(problems)} problem(s); no use was decided",
            problems,
        )
    return decided


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
        errors=errors,
    )
