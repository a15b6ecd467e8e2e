"""A JSON-over-HTTP client for the marketplace APIs of io.net and Golem, with backoff.

Why one client for both: io.net's Explorer API, the local yagna REST API and Golem's public
stats API fail in the same ways (unreachable, slow, 5xx, 429, malformed JSON, oversized
bodies) and must all be handled the same way: explicit httpx timeouts, a capped, jittered
backoff per API (desktop/networks/backoff.py) logged in words ("ionet: Explorer API
answered HTTP 503, retrying in 4.2 s"), and failing fast while the backoff runs instead of
hammering the API. A refused request (4xx) is not the API's fault: it does not arm the
backoff, and a refused *credential* (401, 403) is its own error, so that the caller can
stop using that credential and ask the user for a new one instead of looping on it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from desktop.networks.backoff import Backoff, RetryGate
from desktop.networks.base import NetworkError

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class ApiUnavailable(NetworkError):
    """The API could not answer usefully now; ``retry_in`` seconds until the next try."""

    def __init__(self, message: str, retry_in: float = 0.0) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class ApiRefused(NetworkError):
    """A 4xx answer other than 401, 403 and 429: retrying the same request will not help."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class CredentialRejected(ApiRefused):
    """401 or 403: the token or key sent is not (or no longer) accepted."""


class JsonApi:
    """GET JSON from one API with fixed headers, timeouts and one backoff gate.

    Args:
        network: the network id, first word of every log line.
        what: the API in words ("Explorer API"), for messages.
        base_url: scheme, host and port (a path prefix is kept).
        headers: sent with every request (a token); ``set_header`` changes one later.
    """

    def __init__(
        self,
        network: str,
        what: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff: Backoff | None = None,
    ) -> None:
        self.network, self.what = network, what
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.gate = RetryGate(backoff or Backoff(base=1.0, cap=300.0), clock)
        self._client = httpx.Client(
            timeout=timeout, transport=transport, follow_redirects=False, trust_env=False
        )

    def set_header(self, name: str, value: str | None) -> None:
        """Send ``name: value`` from now on (None: stop sending it)."""
        if value is None:
            self.headers.pop(name, None)
        else:
            self.headers[name] = value

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        """The decoded JSON of ``GET base_url + path``; ``headers`` and ``timeout``, when
        given, apply to this call only (a credential checked while a request waits).

        Raises ApiUnavailable (the backoff runs), CredentialRejected (401, 403) or
        ApiRefused (another 4xx); never anything else for what the API does.
        """
        if not self.gate.ready():
            wait = self.gate.remaining
            raise ApiUnavailable(f"the {self.what} failed recently; next try in {wait:.0f} s", wait)
        try:
            response = self._client.get(
                f"{self.base_url}{path}",
                params=dict(params or {}),
                headers={**self.headers, **(headers or {})},
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException:
            raise self._failed("timed out") from None
        except httpx.HTTPError as exc:
            raise self._failed(f"is unreachable ({type(exc).__name__})") from None
        status = response.status_code
        if status >= 500 or status == 429:
            raise self._failed(f"answered HTTP {status}")
        if status in (401, 403):
            self.gate.succeeded()  # the API is up; the credential is what it refuses
            raise CredentialRejected(
                f"the {self.what} refused the credential (HTTP {status})", status
            )
        if status >= 400:
            self.gate.succeeded()
            raise ApiRefused(f"the {self.what} answered HTTP {status} for {path}", status)
        if len(response.content) > MAX_BODY:
            raise self._failed(f"sent an oversized answer ({len(response.content)} bytes)")
        try:
            data = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._failed("sent malformed JSON") from None
        self.gate.succeeded()
        return data

    def _failed(self, reason: str) -> ApiUnavailable:
        delay = self.gate.failed()
        log.warning("%s: %s %s, retrying in %.1f s", self.network, self.what, reason, delay)
        return ApiUnavailable(f"the {self.what} {reason}; next try in {delay:.0f} s", delay)
