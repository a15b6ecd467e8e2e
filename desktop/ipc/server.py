"""The worker's HTTP/JSON API: thin Starlette routes over a ``Controller``.

Each route parses the query or body, calls one controller method and returns its JSON
with ``"protocol": 1``. All checks that do not depend on the route (body cap, Host, token,
protocol) live in ``gate.ApiGate``; the transport (unix socket or loopback port) lives in
``transport.ApiServer``. Errors are always JSON ``{protocol, code, message}``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from desktop.ipc import schema
from desktop.ipc.body import parse_json_object
from desktop.ipc.gate import ApiGate, encode_json
from desktop.ipc.protocol import (
    API_PREFIX,
    MAX_BODY_BYTES,
    MAX_EVENT_WAIT_S,
    PROTOCOL_VERSION,
    TELEMETRY_RANGES,
    ApiError,
    Controller,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
NETWORK = schema.PauseScope.NETWORK
Answer = dict[str, Any] | msgspec.Struct | Response
Handler = Callable[[Request], Awaitable[Answer]]
NETWORK_ACTIONS = ("pause", "resume", "remove")


def json_response(
    data: dict[str, Any] | msgspec.Struct,
    status: int = 200,
    background: BackgroundTask | None = None,
) -> Response:
    """A JSON answer with the protocol field added."""
    fields: dict[str, Any] = msgspec.to_builtins(data) if isinstance(data, msgspec.Struct) else data
    body = encode_json({"protocol": PROTOCOL_VERSION, **fields})
    return Response(body, status, media_type="application/json", background=background)


def error_response(error: ApiError) -> Response:
    return Response(encode_json(error.to_json()), error.status, media_type="application/json")


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler so that ApiError and unexpected failures become JSON errors."""

    async def run(request: Request) -> Response:
        try:
            answer = await handler(request)
        except ApiError as exc:
            return error_response(exc)
        except Exception:
            log.exception("internal error on %s %s", request.method, request.url.path)
            message = "the worker hit an internal error; `rigpilot logs` shows the details"
            return error_response(ApiError("internal", message, 500))
        return answer if isinstance(answer, Response) else json_response(answer)

    return run


# --- parameter parsing ------------------------------------------------------------------


def int_param(request: Request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        raise ApiError(
            "invalid_request", f"'{name}' must be a whole number from {lo} to {hi}", 422, name
        )
    return value


def float_param(
    request: Request, name: str, default: float | None, lo: float, hi: float
) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not lo <= value <= hi:  # also false for NaN
        raise ApiError("invalid_request", f"'{name}' must be a number from {lo} to {hi}", 422, name)
    return value


async def json_body(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The request's JSON object; every malformed body is a 400 with a code (ipc/body.py)."""
    try:
        raw = await request.body()
    except ClientDisconnect:
        message = "the client went away before its request body arrived"
        raise ApiError("client_disconnected", message, 400) from None
    return parse_json_object(raw, allow_empty=allow_empty)


def decode_request(body: dict[str, Any], kind: type[T]) -> T:
    """A typed request from a JSON body; a wrong field is a 422 that names it."""
    try:
        return msgspec.convert(body, kind)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = text.rsplit("$.", 1)[1].split("[")[0].strip("` ") if "$." in text else None
        raise ApiError("invalid_request", text, 422, field) from None


# --- routes -----------------------------------------------------------------------------


def build_routes(controller: Controller) -> list[Route]:
    """One route per API resource; each is a few lines over a controller method."""

    async def status(request: Request) -> Answer:
        return await controller.status()

    async def gpus(request: Request) -> Answer:
        return await controller.gpus()

    async def telemetry(request: Request) -> Answer:
        gpu = int_param(request, "gpu", None, 0, 63)
        since = float_param(request, "since", None, 0.0, 1e11)
        range_ = request.query_params.get("range") or None
        if range_ is not None and range_ not in TELEMETRY_RANGES:
            allowed = list(TELEMETRY_RANGES)
            message = f"'range' must be one of {', '.join(allowed)}"
            raise ApiError("invalid_request", message, 422, "range", allowed)
        if range_ is not None and since is not None:
            raise ApiError("invalid_request", "give either 'since' or 'range', not both", 422)
        return await controller.telemetry(gpu, since, range_)

    async def telemetry_latest(request: Request) -> Answer:
        return await controller.telemetry_latest()

    async def events(request: Request) -> Answer:
        since = int_param(request, "since", 0, 0, 2**62)
        wait = float_param(request, "wait", 0.0, 0.0, MAX_EVENT_WAIT_S)
        limit = int_param(request, "limit", 500, 1, 5000)
        assert since is not None and wait is not None and limit is not None
        return await controller.events(since, wait, limit)

    async def pause(request: Request) -> Answer:
        body = await json_body(request, allow_empty=True)
        return await controller.pause(decode_request(body, schema.PauseRequest))

    async def resume(request: Request) -> Answer:
        body = await json_body(request, allow_empty=True)
        return await controller.resume(decode_request(body, schema.ResumeRequest))

    async def settings(request: Request) -> Answer:
        if request.method == "PATCH":
            return await controller.patch_settings(await json_body(request))
        return await controller.settings()

    async def networks(request: Request) -> Answer:
        return await controller.networks()

    async def network_action(request: Request) -> Answer:
        network = request.path_params["network"]
        action = request.path_params["action"]
        if action == "enroll":
            body = await json_body(request, allow_empty=True)
            credentials = body.get("credentials", {})
            if not isinstance(credentials, dict):
                message = "'credentials' must be an object of field: value"
                raise ApiError("invalid_request", message, 422, "credentials")
            return await controller.network_enroll(network, credentials)
        if action not in NETWORK_ACTIONS:
            raise ApiError("not_found", f"there is no network action '{action}'", 404)
        if action == "pause":  # one way to pause: a user hold on the network
            return await controller.pause(schema.PauseRequest(scope=NETWORK, network=network))
        if action == "resume":
            return await controller.resume(schema.ResumeRequest(scope=NETWORK, network=network))
        return await controller.network_action(network, action)

    async def jobs(request: Request) -> Answer:
        if request.method == "POST":
            answer = await controller.submit_job(await json_body(request))
            return json_response(answer, 201)
        limit = int_param(request, "limit", 50, 1, 1000)
        assert limit is not None
        return await controller.jobs(limit, request.query_params.get("state") or None)

    async def job(request: Request) -> Answer:
        return await controller.job(request.path_params["job_id"])

    async def stop_job(request: Request) -> Answer:
        return await controller.stop_job(request.path_params["job_id"])

    async def earnings(request: Request) -> Answer:
        days = int_param(request, "days", 7, 1, 365)
        assert days is not None
        return await controller.earnings(days)

    async def logs(request: Request) -> Answer:
        tail = int_param(request, "tail", 200, 1, 10000)
        assert tail is not None
        return await controller.logs(tail)

    async def shutdown(request: Request) -> Answer:
        # The stop begins once this answer is on its way, so the client gets it.
        return json_response({"stopping": True}, background=BackgroundTask(_stop, controller))

    table: list[tuple[str, Handler, list[str]]] = [
        ("/status", status, ["GET"]),
        ("/gpus", gpus, ["GET"]),
        ("/telemetry", telemetry, ["GET"]),
        ("/telemetry/latest", telemetry_latest, ["GET"]),
        ("/events", events, ["GET"]),
        ("/pause", pause, ["POST"]),
        ("/resume", resume, ["POST"]),
        ("/settings", settings, ["GET", "PATCH"]),
        ("/networks", networks, ["GET"]),
        ("/networks/{network}/{action}", network_action, ["POST"]),
        ("/jobs", jobs, ["GET", "POST"]),
        ("/jobs/{job_id}", job, ["GET"]),
        ("/jobs/{job_id}/stop", stop_job, ["POST"]),
        ("/earnings", earnings, ["GET"]),
        ("/logs", logs, ["GET"]),
        ("/shutdown", shutdown, ["POST"]),
    ]
    return [
        Route(API_PREFIX + path, _endpoint(handler), methods=methods)
        for path, handler, methods in table
    ]


async def _stop(controller: Controller) -> None:
    await controller.request_shutdown()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 answers, in our JSON shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        error = ApiError("not_found", f"there is no API resource {request.url.path}", 404)
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        error = ApiError("invalid_request", message, 405)
    else:
        error = ApiError("invalid_request", str(getattr(exc, "detail", "bad request")), status)
    return error_response(error)


def build_app(controller: Controller, token: str, max_body: int = MAX_BODY_BYTES) -> ASGIApp:
    """The whole API as one ASGI app: the gate in front of the routes."""
    app = Starlette(
        routes=build_routes(controller),
        exception_handlers={HTTPException: _http_error},
    )
    # "/v1/jobs/" (an empty job id) is a 404 in JSON, not a plain 307 to "/v1/jobs".
    app.router.redirect_slashes = False
    return ApiGate(app, token, max_body)
