"""The workbench's HTTP side: the page at `/`, its script and stylesheet, and a small JSON
API under `/workbench/api/`, mounted on the decision service's app.

Access: the page and the API need the service's token (`CLAUSULA_TOKEN`), given once as
`/?token=…` (the page then keeps it in an HttpOnly, SameSite=Strict cookie) or as
`Authorization: Bearer …`. Without a token the workbench is switched off — it writes
policy files, which a service open to anyone must not let anyone do — and `/` says how
to switch it on; `clausula workbench` always runs with a token (a random one by default).
None of these routes is in the OpenAPI document: they are the page's, not an API to build on.
"""

from __future__ import annotations

import hmac
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ..diagnostics import PolicyError
from ..simulate import DrawnUsage, ScenarioError
from . import editing, negotiating, trying
from .files import MAX_FILE_BYTES, FileConflict, FileRefused, PolicyFiles, digest

COOKIE = "clausula_workbench"
STATIC = {"workbench.js": "text/javascript", "workbench.css": "text/css"}
MAX_TEXT = MAX_FILE_BYTES


class Named(BaseModel):
    name: str = Field(max_length=500)


class DraftText(BaseModel):
    name: str = Field(max_length=500)
    text: str = Field(max_length=MAX_TEXT)


class HoverRequest(DraftText):
    line: int = Field(ge=1, le=1_000_000)
    column: int = Field(ge=1, le=1_000_000)


class SaveRequest(DraftText):
    digest: str | None = Field(default=None, max_length=64)
    format: bool = True


class DraftRef(BaseModel):
    """The draft in the editor (none: the files as on disk)."""

    name: str | None = Field(default=None, max_length=500)
    text: str | None = Field(default=None, max_length=MAX_TEXT)


class DecideRequest(DraftRef):
    use: dict[str, Any]


class SimulateRequest(BaseModel):
    scenario: str = Field(max_length=500)
    variant: str = Field(max_length=100)
    values: dict[str, str] = Field(default_factory=dict, max_length=100)


class VariantRequest(SimulateRequest):
    new_name: str = Field(max_length=60)


class DiffRequest(BaseModel):
    old: str = Field(max_length=500)
    new: str = Field(max_length=500)
    shared: list[str] = Field(default_factory=list, max_length=20)


def _asset(name: str) -> str:
    return resources.files("clausula.workbench").joinpath("static", name).read_text("utf-8")


class Baselines:
    """The scenario's own values, run once per scenario text and variant, and kept; and
    what each scenario's runs draw (its catalogue and uses, `DrawnUsage`), kept between
    live re-runs that change only the terms. One simulation at a time: they take the
    processor, and share what was drawn."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], dict[str, Any]] = {}
        self._drawn: dict[str, DrawnUsage] = {}
        self._lock = threading.Lock()

    def get(self, files: PolicyFiles, name: str, variant: str) -> dict[str, Any]:
        key = (digest(files.read(name)), variant)
        with self._lock:
            if key not in self._kept:
                scenario = negotiating.open_scenario(files, name)
                self._kept[key] = self._run(scenario, name, variant, {})
            return self._kept[key]

    def run(
        self, scenario: Any, name: str, variant: str, values: dict[str, dict[str, str]]
    ) -> dict[str, Any]:
        """The variant with `values`, run on what the scenario draws (kept)."""
        with self._lock:
            return self._run(scenario, name, variant, values)

    def _run(
        self, scenario: Any, name: str, variant: str, values: dict[str, dict[str, str]]
    ) -> dict[str, Any]:
        drawn = self._drawn.setdefault(name, DrawnUsage())
        return negotiating.run(scenario, variant, values, drawn=drawn)


def workbench_router(root: Path, token: str | None) -> APIRouter:
    """The page and its API for the policy directory `root`, behind `token`."""
    files = PolicyFiles(root)
    baselines = Baselines()
    router = APIRouter(include_in_schema=False)

    def allowed(request: Request) -> bool:
        if token is None:
            return False
        given = request.cookies.get(COOKIE, "")
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            given = bearer.strip()
        return hmac.compare_digest(given.encode(), token.encode())

    def guard(request: Request) -> None:
        if token is None:
            raise HTTPException(
                403, "The workbench is off: start the service with CLAUSULA_TOKEN set"
            )
        if not allowed(request):
            raise HTTPException(401, "Missing or wrong token: open the address with ?token=…")

    @router.get("/")
    def page(request: Request) -> Response:
        query = request.query_params.get("token")
        if token is not None and query is not None:
            if not hmac.compare_digest(query.encode(), token.encode()):
                return HTMLResponse(_message("That token is not the workbench's."), 401)
            redirect = RedirectResponse("/", status_code=303)
            redirect.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return redirect
        if token is None:
            return HTMLResponse(
                _message(
                    "The workbench is off: it edits the policy files, so it needs a token. "
                    "Start the service with CLAUSULA_TOKEN set, or run `clausula workbench`."
                ),
                403,
            )
        if not allowed(request):
            return HTMLResponse(
                _message("Open the address that `clausula workbench` printed (with ?token=…)."),
                401,
            )
        return HTMLResponse(_asset("index.html"), headers={"Cache-Control": "no-store"})

    @router.get("/workbench/static/{asset}")
    def static(asset: str) -> Response:
        if asset not in STATIC:
            raise HTTPException(404, "No such file")
        return Response(_asset(asset), media_type=STATIC[asset])

    def answer(work: Any) -> Any:
        """Run `work`, turning the author's mistakes into 4xx answers with a sentence."""
        try:
            return work()
        except FileConflict as error:
            raise HTTPException(409, str(error)) from None
        except FileRefused as error:
            raise HTTPException(400, str(error)) from None
        except ScenarioError as error:
            raise HTTPException(422, "; ".join(error.problems[:10])) from None
        except PolicyError as error:
            raise HTTPException(
                422, error.diagnostics[0].render() if error.diagnostics else "policy errors"
            ) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None

    @router.get("/workbench/api/files")
    def listing(request: Request) -> dict[str, Any]:
        guard(request)
        return {
            "files": answer(files.listing),
            "scenarios": answer(lambda: negotiating.scenarios(files)),
        }

    @router.post("/workbench/api/read")
    def read(request: Request, body: Named) -> dict[str, Any]:
        guard(request)
        text = answer(lambda: files.read(body.name))
        return {"name": body.name, "text": text, "digest": digest(text)}

    @router.post("/workbench/api/check")
    def check(request: Request, body: DraftText) -> dict[str, Any]:
        guard(request)
        result: dict[str, Any] = answer(lambda: editing.check_text(files, body.name, body.text))
        return result

    @router.post("/workbench/api/findings")
    def findings(request: Request, body: DraftText) -> dict[str, Any]:
        guard(request)
        result: dict[str, Any] = answer(lambda: editing.findings(files, body.name, body.text))
        return result

    @router.post("/workbench/api/hover")
    def hover(request: Request, body: HoverRequest) -> dict[str, Any]:
        guard(request)
        result: dict[str, Any] = answer(
            lambda: editing.hover(files, body.name, body.text, body.line, body.column)
        )
        return result

    @router.post("/workbench/api/save")
    def save(request: Request, body: SaveRequest) -> dict[str, Any]:
        guard(request)
        text, problems = editing.formatted(body.name, body.text) if body.format else (body.text, [])
        new_digest = answer(lambda: files.write(body.name, text, body.digest))
        return {"name": body.name, "text": text, "digest": new_digest, "format_problems": problems}

    @router.post("/workbench/api/format")
    def format_(request: Request, body: DraftText) -> dict[str, Any]:
        guard(request)
        text, problems = editing.formatted(body.name, body.text)
        return {"text": text, "problems": problems}

    @router.get("/workbench/api/choices")
    def choices(request: Request) -> dict[str, Any]:
        guard(request)
        result: dict[str, Any] = answer(lambda: trying.form_choices(files))
        return result

    @router.post("/workbench/api/uses")
    def saved(request: Request, body: DraftRef) -> dict[str, Any]:
        guard(request)
        uses = answer(lambda: trying.saved_uses(files))
        result: dict[str, Any] = answer(
            lambda: trying.decide_saved(files, body.name, body.text, uses)
        )
        result["uses"] = uses
        return result

    @router.post("/workbench/api/decide")
    def decide(request: Request, body: DecideRequest) -> dict[str, Any]:
        guard(request)
        result: dict[str, Any] = answer(
            lambda: trying.decide_one(files, body.name, body.text, body.use)
        )
        return result

    @router.post("/workbench/api/scenario")
    def scenario(request: Request, body: Named) -> dict[str, Any]:
        guard(request)
        loaded = answer(lambda: negotiating.open_scenario(files, body.name))
        controls = answer(lambda: negotiating.controls(loaded, files))
        return {
            "name": body.name,
            "title": loaded.title,
            "variants": {n: v.title or n for n, v in loaded.variants.items()},
            "negotiated": [s.variant for s in loaded.sweeps],  # what the scenario varies
            "controls": [c.__dict__ for c in controls],
        }

    @router.post("/workbench/api/simulate")
    def run(request: Request, body: SimulateRequest) -> dict[str, Any]:
        guard(request)

        def work() -> dict[str, Any]:
            loaded = negotiating.open_scenario(files, body.scenario)
            values = negotiating.literals(loaded, files, body.variant, body.values)
            baseline = baselines.get(files, body.scenario, body.variant)
            current = (
                baselines.run(loaded, body.scenario, body.variant, values) if values else baseline
            )
            return negotiating.compare(baseline, current)

        result: dict[str, Any] = answer(work)
        return result

    @router.post("/workbench/api/variant")
    def variant(request: Request, body: VariantRequest) -> dict[str, Any]:
        guard(request)

        def work() -> str:
            loaded = negotiating.open_scenario(files, body.scenario)
            values = negotiating.literals(loaded, files, body.variant, body.values)
            return negotiating.save_variant(
                files, body.scenario, body.variant, body.new_name, values
            )

        return {"name": answer(work)}

    @router.post("/workbench/api/diff")
    def compare(request: Request, body: DiffRequest) -> dict[str, Any]:
        guard(request)
        result: dict[str, Any] = answer(
            lambda: negotiating.compare_versions(files, body.old, body.new, body.shared)
        )
        return result

    return router


def _message(text: str) -> str:
    from html import escape

    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Clausula workbench</title></head>"
        f'<body><main><h1>Clausula workbench</h1><p role="alert">{escape(text)}</p></main></body></html>'
    )
