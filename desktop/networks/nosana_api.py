"""HTTP clients for the Nosana node API and dashboard, and parsers for their answers.

Shapes follow networks.md §1 exactly (fields read from the official node and dashboard
sources); anything else in an answer is ignored, anything missing or of the wrong type
is reported as "unknown" with the reason instead of raising. The dashboard endpoints are
undocumented and public (no auth): they can change without notice, so every parser is
defensive and every value type is checked.

Every call has explicit httpx timeouts. A failed call (unreachable, timeout, 5xx, 429,
malformed JSON) arms a capped, jittered backoff per endpoint family and logs the delay
("nosana: node API unreachable, retrying in 4.2 s"); until it expires, calls fail fast
with ``ApiUnavailable`` instead of hammering the endpoint.

httpx is imported, and each client made, at the first call: every worker loads this
module, enrolled in Nosana or not (issue 18). Timeouts are httpx's 4-tuples
(connect, read, write, pool).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from desktop.networks.backoff import Backoff, RetryGate
from desktop.networks.base import NetworkError

if TYPE_CHECKING:
    import httpx

Timeout = tuple[float, float, float, float]  # connect, read, write, pool: what httpx takes

log = logging.getLogger(__name__)

NODE_API_URL = "http://127.0.0.1:5001"
DASHBOARD_URL = "https://dashboard.k8s.prd.nos.ci"
MAX_BODY = 4 * 1024 * 1024
DEFAULT_TIMEOUT: Timeout = (2.0, 5.0, 5.0, 5.0)
# Enrollment checks the registration while the user's request waits (its client gives up
# after 5 s): a dashboard slower than this is "could not check", and checked again later.
ENROLL_CHECK_TIMEOUT: Timeout = (1.0, 2.5, 2.5, 2.5)


class ApiUnavailable(NetworkError):
    """The endpoint could not answer usefully now; ``retry_in`` seconds until the next try."""

    def __init__(self, message: str, retry_in: float = 0.0) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class ApiRefused(NetworkError):
    """A 4xx answer: retrying will not help (except 429, which is ApiUnavailable)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class _JsonEndpoint:
    """GET JSON with timeouts and a backoff gate shared by one family of endpoints."""

    def __init__(
        self,
        what: str,
        base_url: str,
        timeout: Timeout | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff: Backoff | None = None,
    ) -> None:
        self.what = what
        self.base_url = base_url.rstrip("/")
        self.gate = RetryGate(backoff or Backoff(base=1.0, cap=300.0), clock)
        self._timeout, self._transport = timeout, transport
        self._made: httpx.Client | None = None
        self._making = threading.Lock()

    @property
    def _client(self) -> httpx.Client:
        with self._making:
            if self._made is None:
                import httpx

                self._made = httpx.Client(
                    timeout=self._timeout,
                    transport=self._transport,
                    follow_redirects=False,
                    trust_env=False,
                )
            return self._made

    def close(self) -> None:
        if self._made is not None:
            self._made.close()

    def _fail(self, reason: str) -> ApiUnavailable:
        delay = self.gate.failed()
        log.warning("nosana: %s %s, retrying in %.1f s", self.what, reason, delay)
        return ApiUnavailable(f"the {self.what} {reason}; next try in {delay:.0f} s", delay)

    def get(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        timeout: Timeout | httpx.Timeout | None = None,
    ) -> Any:
        import httpx

        if not self.gate.ready():
            wait = self.gate.remaining
            raise ApiUnavailable(f"the {self.what} failed recently; next try in {wait:.0f} s", wait)
        url = f"{self.base_url}{path}"
        try:
            if timeout is None:
                response = self._client.get(url, params=dict(params or {}))
            else:
                response = self._client.get(url, params=dict(params or {}), timeout=timeout)
        except httpx.TimeoutException:
            raise self._fail("timed out") from None
        except httpx.HTTPError as exc:
            raise self._fail(f"is unreachable ({type(exc).__name__})") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise self._fail(f"answered HTTP {response.status_code}")
        if response.status_code >= 400:
            self.gate.succeeded()  # the endpoint is up; the request itself was refused
            raise ApiRefused(
                f"the {self.what} answered HTTP {response.status_code} for {path}",
                response.status_code,
            )
        if len(response.content) > MAX_BODY:
            raise self._fail(f"sent an oversized answer ({len(response.content)} bytes)")
        try:
            data = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._fail("sent malformed JSON") from None
        self.gate.succeeded()
        return data


class NodeApi:
    """The node's own Express API (``node start --port``, default 5001, host network)."""

    def __init__(self, base_url: str = NODE_API_URL, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", (1.0, 3.0, 3.0, 3.0))
        kwargs.setdefault("backoff", Backoff(base=1.0, cap=30.0))
        self._endpoint = _JsonEndpoint("node API", base_url, **kwargs)

    @property
    def gate(self) -> RetryGate:
        return self._endpoint.gate

    def info(self) -> Any:
        """``GET /node/info``: ``{node, uptime, state, info: {...}}`` (raw JSON)."""
        return self._endpoint.get("/node/info")

    def close(self) -> None:
        self._endpoint.close()


class DashboardApi:
    """The public dashboard backend: jobs, earnings, uptime, specs of a node address."""

    def __init__(self, base_url: str = DASHBOARD_URL, **kwargs: Any) -> None:
        self._endpoint = _JsonEndpoint("dashboard API", base_url, **kwargs)

    @property
    def gate(self) -> RetryGate:
        return self._endpoint.gate

    def specs(self, address: str, timeout: Timeout | httpx.Timeout | None = None) -> Any | None:
        """``GET /api/nodes/{addr}/specs``; None when the dashboard does not know the node.
        ``timeout`` replaces the usual one (enrollment asks while a request waits)."""
        try:
            return self._endpoint.get(f"/api/nodes/{address}/specs", timeout=timeout)
        except ApiRefused as exc:
            if exc.status_code == 404:
                return None
            raise

    def jobs(self, address: str, limit: int = 50, offset: int = 0) -> Any:
        """``GET /api/jobs?limit=&offset=&node=``: ``{jobs: [...], totalJobs}``."""
        return self._endpoint.get("/api/jobs", {"limit": limit, "offset": offset, "node": address})

    def earning_history(self, address: str, start_date: str, group_by: str = "day") -> Any:
        """``GET /api/stats/earning-history?address=&start_date=YYYY-MM-DD&group_by=``."""
        return self._endpoint.get(
            "/api/stats/earning-history",
            {"address": address, "start_date": start_date, "group_by": group_by},
        )

    def node_report(self, address: str) -> Any:
        """``GET /api/benchmarks/node-report?node=``.

        Answer: ``{node, participationRate, uptimePercentage}``.
        """
        return self._endpoint.get("/api/benchmarks/node-report", {"node": address})

    def close(self) -> None:
        self._endpoint.close()
