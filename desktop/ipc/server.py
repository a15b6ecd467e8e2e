"""The worker's HTTP/JSON API: one route per endpoint of ``desktop.ipc.endpoints``.

Every route is the same three steps, built from the endpoint's declaration: decode and
validate the request (query, or body plus path fields) into its type, call the
``Controller`` method, encode the typed answer with ``"protocol"``. Bad input never
reaches the worker and never becomes a 500: it is a 400/422 JSON error naming the field.
Domain errors (``desktop.errors``) become HTTP statuses in one table, ``DOMAIN_STATUS``.
The checks that do not depend on the route (body cap, Host, token, protocol) live in
``gate.ApiGate``; the transport (unix socket or loopback port) in ``transport.ApiServer``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from desktop import clock
from desktop.errors import Conflict, DomainError, NotFound, Refused, Unavailable
from desktop.ipc.asgi import Answer, ASGIApp, ClientDisconnect, Request, Route, Router
from desktop.ipc.codec import RequestInvalid, decode_body, decode_query, encode_answer
from desktop.ipc.controller import Controller
from desktop.ipc.endpoints import ENDPOINTS, Endpoint
from desktop.ipc.gate import ApiGate, error_body
from desktop.ipc.protocol import API_PREFIX, MAX_BODY_BYTES, ApiError
from desktop.ipc.schema import RequestProblem

log = logging.getLogger(__name__)

# The one place where a domain refusal becomes an HTTP status (most specific class first).
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (Unavailable, 503),
    (Refused, 422),
)


@runtime_checkable
class TimeChecked(Protocol):
    """A request with rules that depend on the time (a pause must end in the future)."""

    def check(self, now: float) -> None: ...


@runtime_checkable
class MayBeAccepted(Protocol):
    """An answer that can say "accepted, going on in the background" (HTTP 202)."""

    @property
    def accepted(self) -> bool: ...


def domain_status(error: DomainError) -> int:
    for kind, status in DOMAIN_STATUS:
        if isinstance(error, kind):
            return status
    return 422


def error_response(error: ApiError) -> Answer:
    return Answer(error_body(error), error.status)


async def read_request(endpoint: Endpoint[Any, Any], request: Request) -> Any:
    """The request of ``endpoint`` decoded from the query or the body, and the path."""
    path = {name: str(request.path_params[name]) for name in endpoint.path_fields}
    if endpoint.in_query:
        return decode_query(request.query_items(), path, endpoint.request)
    try:
        raw = await request.body()
    except ClientDisconnect:
        message = "the client went away before its request body arrived"
        raise ApiError("client_disconnected", message, 400) from None
    return decode_body(raw, path, endpoint.request)


def _route(
    endpoint: Endpoint[Any, Any], controller: Controller, now: Callable[[], float]
) -> Route:
    serve: Callable[..., Awaitable[Any]] = getattr(controller, endpoint.name)

    async def run(request: Request) -> Answer:
        try:
            typed = await read_request(endpoint, request)
            if isinstance(typed, TimeChecked):
                try:
                    typed.check(now())
                except RequestProblem as exc:
                    raise RequestInvalid("invalid_request", exc.message, exc.field) from None
            answer = await (serve() if endpoint.takes_nothing else serve(typed))
        except RequestInvalid as exc:
            bad = ApiError(exc.code, exc.message, exc.status, exc.field, exc.allowed)
            return error_response(bad)
        except DomainError as exc:
            status = domain_status(exc)
            return error_response(ApiError(exc.code, exc.message, status, exc.field, exc.allowed))
        except ApiError as exc:  # the body cap (raised while reading), or older worker code
            return error_response(exc)
        except Exception:
            log.exception("internal error on %s %s", request.method, request.path)
            return _internal()
        if not isinstance(answer, endpoint.answer):
            log.error(
                "%s answered %s, not %s", endpoint.name, type(answer).__name__, endpoint.answer
            )
            return _internal()
        status = endpoint.status
        if isinstance(answer, MayBeAccepted) and answer.accepted:
            status = 202
        return Answer(encode_answer(answer), status)

    return Route(API_PREFIX + endpoint.path, run, endpoint.method)


def _internal() -> Answer:
    message = "the worker hit an internal error; `rigpilot logs` shows the details"
    return error_response(ApiError("internal", message, 500))


def build_routes(
    controller: Controller, now: Callable[[], float] | None = None
) -> list[Route]:
    """One route per endpoint; ``now`` is the clock time-dependent rules are checked on."""
    return [_route(e, controller, now or clock.read) for e in ENDPOINTS]


async def _not_matched(request: Request, status: int) -> Answer:
    """No route: 404 for a path the API does not have, 405 for a method it has not."""
    if status == 405:
        message = f"{request.method} is not allowed on {request.path}"
        return error_response(ApiError("invalid_request", message, 405))
    return error_response(ApiError("not_found", f"there is no API resource {request.path}", 404))


def build_app(
    controller: Controller,
    token: str,
    max_body: int = MAX_BODY_BYTES,
    now: Callable[[], float] | None = None,
) -> ASGIApp:
    """The whole API as one ASGI app: the gate in front of the routes."""
    return ApiGate(Router(build_routes(controller, now), _not_matched), token, max_body)
