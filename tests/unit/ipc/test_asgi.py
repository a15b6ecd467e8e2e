"""The API's own router (desktop/ipc/asgi.py): paths, methods, 404 and 405, query, body.

Driven through plain ASGI calls, as desktop/ipc/http_connection.py makes them; the whole
API over this router is tested in test_server.py and test_hostile_api.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from desktop.ipc.asgi import Answer, ClientDisconnect, Request, Route, Router


def scope(method: str, path: str, query: bytes = b"") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "query_string": query, "headers": []}


def call(router: Router, method: str, path: str, query: bytes = b"", body: bytes = b"") -> Any:
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(router(scope(method, path, query), receive, send))
    start, content = sent
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/json"
    assert int(headers[b"content-length"]) == len(content["body"])
    return start["status"], json.loads(content["body"])


async def echo(request: Request) -> Answer:
    body = await request.body()
    seen = {
        "method": request.method,
        "params": request.path_params,
        "query": request.query_items(),
        "body": body.decode(),
    }
    return Answer(json.dumps(seen).encode(), 200)


async def not_matched(request: Request, status: int) -> Answer:
    return Answer(json.dumps({"status": status, "path": request.path}).encode(), status)


ROUTER = Router(
    [
        Route("/v1/jobs", echo, "GET"),
        Route("/v1/jobs", echo, "POST"),
        Route("/v1/jobs/{job_id}/stop", echo, "POST"),
    ],
    not_matched,
)


def test_a_route_takes_its_method_and_path_values() -> None:
    status, seen = call(ROUTER, "POST", "/v1/jobs/a b.c/stop", body=b'{"x": 1}')
    assert status == 200
    assert seen == {"method": "POST", "params": {"job_id": "a b.c"}, "query": [],
                    "body": '{"x": 1}'}  # fmt: skip


def test_the_query_keeps_every_pair_in_order_blanks_too() -> None:
    _, seen = call(ROUTER, "GET", "/v1/jobs", query=b"state=running&limit=&state=paused")
    assert seen["query"] == [["state", "running"], ["limit", ""], ["state", "paused"]]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/nothing", 404),
        ("GET", "/v1/jobs/", 404),  # a trailing slash is another path, not a redirect
        ("POST", "/v1/jobs//stop", 404),  # an empty {job_id}
        ("POST", "/v1/jobs/x/y/stop", 404),  # a value never spans segments
        ("DELETE", "/v1/jobs", 405),
        ("GET", "/v1/jobs/x/stop", 405),
    ],
)
def test_no_route_is_a_404_and_a_wrong_method_a_405(method: str, path: str, status: int) -> None:
    assert call(ROUTER, method, path) == (status, {"status": status, "path": path})


def test_a_get_route_answers_head_too() -> None:
    assert call(ROUTER, "HEAD", "/v1/jobs")[0] == 200


def test_a_client_that_leaves_before_its_body_is_a_client_disconnect() -> None:
    async def left() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    request = Request(scope("POST", "/v1/jobs"), left, {})
    with pytest.raises(ClientDisconnect):
        asyncio.run(request.body())


def test_a_body_in_chunks_is_read_whole() -> None:
    chunks = [
        {"type": "http.request", "body": b'{"a"', "more_body": True},
        {"type": "http.request", "body": b": 1}", "more_body": False},
    ]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0)

    assert asyncio.run(Request(scope("POST", "/v1/jobs"), receive, {}).body()) == b'{"a": 1}'
