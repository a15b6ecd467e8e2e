"""A JSON HTTP client for a marketplace's remote API: timeouts, backoff, spacing, refusals.

Why one client for Clore.ai, Vast.ai and Akash (Nosana keeps its own, older one): every
network API must be called the same careful way (reliability.md §8): explicit httpx
timeouts; a failure (unreachable, timeout, 5xx, 429, malformed JSON, an oversized body)
arms a capped, jittered backoff and is logged with the delay ("clore: the Clore.ai API
answered HTTP 500, retrying in 4.2 s"), and until it expires calls fail at once with
``ApiUnavailable`` instead of hammering the API; a refused credential (401, 403, or what
the network's own client says is one) is ``CredentialRefused``, remembered until the
backoff expires so the status keeps telling the user what to do; any other 4xx is
``ApiRefused``. ``spacing_s`` keeps requests apart (Clore.ai allows one a second).

httpx is imported, and the client made, at the first request: every worker loads the
modules of every network, and a network that is not enrolled never calls its API, so an
idle worker should not pay for an HTTP client (issue 18).
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

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
DEFAULT_TIMEOUT_S = 5.0
CREDENTIAL_QUIET_S = 60.0  # a refused key is not tried again sooner (nor more than once)


class ApiUnavailable(NetworkError):
    """The API could not answer usefully now; ``retry_in`` seconds until the next try."""

    def __init__(self, message: str, retry_in: float = 0.0) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class ApiRefused(NetworkError):
    """The API refused the request itself (a 4xx): retrying the same will not help."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class CredentialRefused(ApiRefused):
    """The API refused the credential (expired, revoked, mistyped)."""


def env_float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    """A number from the environment within [low, high], else ``default`` (a module's
    overrides for tests and side-by-side installs)."""
    try:
        value = float(env.get(name, ""))
    except ValueError:
        return default
    return value if low <= value <= high else default


class JsonApi:
    """Calls to one API (one base URL), with one backoff gate and one request spacing.

    Attributes:
        network: the network id that starts every log line ("clore").
        what: the API in words ("Clore.ai API").
        gate: the backoff gate (tests read ``gate.remaining``).
    """

    def __init__(
        self,
        network: str,
        what: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        spacing_s: float = 0.0,
        verify: bool = True,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        backoff: Backoff | None = None,
    ) -> None:
        self.network, self.what = network, what
        self.base_url = base_url.rstrip("/")
        self.spacing_s, self.clock, self.sleep = spacing_s, clock, sleep
        self.gate = RetryGate(backoff or Backoff(base=2.0, cap=300.0), clock)
        self._refused: CredentialRefused | None = None
        self._last_sent = float("-inf")
        self._pace = threading.Lock()
        self._headers = dict(headers or {})
        self._timeout_s, self._verify, self._transport = timeout_s, verify, transport
        self._made: httpx.Client | None = None
        self._making = threading.Lock()  # the client and its headers

    def _client(self) -> httpx.Client:
        """The HTTP client, made at the first request (module docstring)."""
        with self._making:
            if self._made is None:
                import httpx

                self._made = httpx.Client(
                    timeout=httpx.Timeout(self._timeout_s, connect=min(self._timeout_s, 3.0)),
                    headers=self._headers,
                    transport=self._transport,
                    follow_redirects=False,
                    trust_env=False,
                    verify=self._verify,
                )
            return self._made

    def close(self) -> None:
        with self._making:
            if self._made is not None:
                self._made.close()

    def set_header(self, name: str, value: str | None) -> None:
        """Send ``name: value`` from now on (None: stop sending it): a token or app key
        that is known only once the agent runs or the user gives a new one."""
        with self._making:
            if value is None:
                self._headers.pop(name, None)
                if self._made is not None:
                    self._made.headers.pop(name, None)
            else:
                self._headers[name] = value
                if self._made is not None:
                    self._made.headers[name] = value

    # --- failures -----------------------------------------------------------------------

    def fail(self, reason: str) -> ApiUnavailable:
        """Arm the backoff, log it, and return the error to raise (also for a failure the
        network's own answer reports, such as Clore.ai's rate-limit code)."""
        delay = self.gate.failed()
        log.warning("%s: the %s %s, retrying in %.1f s", self.network, self.what, reason, delay)
        return ApiUnavailable(f"the {self.what} {reason}; next try in {delay:.0f} s", delay)

    def refuse_credential(self, message: str, status_code: int = 401) -> CredentialRefused:
        """The credential was refused: remembered (and not asked again) until the backoff
        expires, so every status until then tells the user the same step."""
        delay = max(self.gate.failed(), CREDENTIAL_QUIET_S)
        self.gate.not_before = self.clock() + delay
        log.warning("%s: %s; asking again in %.0f s", self.network, message, delay)
        self._refused = CredentialRefused(message, status_code)
        return self._refused

    # --- requests -----------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("GET", path, params=params, **kw)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """The decoded JSON answer; ApiUnavailable, CredentialRefused or ApiRefused."""
        import httpx  # loaded by the first request's client (module docstring)

        if not self.gate.ready():
            if self._refused is not None:
                raise self._refused
            wait = self.gate.remaining
            raise ApiUnavailable(f"the {self.what} failed recently; next try in {wait:.0f} s", wait)
        self._refused = None
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            with self._pace:  # one request at a time, ``spacing_s`` apart
                wait = self._last_sent + self.spacing_s - self.clock()
                if wait > 0:
                    self.sleep(wait)
                self._last_sent = self.clock()
                response = self._client().request(
                    method, f"{self.base_url}{path}", params=query, json=body
                )
        except httpx.TimeoutException:
            raise self.fail("timed out") from None
        except httpx.HTTPError as exc:
            raise self.fail(f"is unreachable ({type(exc).__name__})") from None
        return self._decode(response, path)

    def _decode(self, response: httpx.Response, path: str) -> Any:
        status = response.status_code
        if status >= 500 or status == 429:
            raise self.fail(f"answered HTTP {status}")
        if status in (401, 403):
            raise self.refuse_credential(
                f"the {self.what} refused the credential (HTTP {status})", status
            )
        if status >= 400:
            self.gate.succeeded()  # the API is up; this request was refused
            raise ApiRefused(f"the {self.what} answered HTTP {status} for {path}", status)
        if len(response.content) > MAX_BODY:
            raise self.fail(f"sent an oversized answer ({len(response.content)} bytes)")
        try:
            data = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self.fail("sent malformed JSON") from None
        self.gate.succeeded()
        return data


class RecentStatus:
    """The last status a remote API gave, reused for ``fresh_s`` seconds.

    Why: the supervisor asks every network's status every few seconds, which a public or
    rate-limited API should not see (Akash's Console, Clore.ai's one request a second); a
    rig's rental or a provider's uptime does not change that fast. Only answers the API
    gave are kept (an UNKNOWN is asked again, behind the backoff); an action of ours
    (pause, resume) forgets it, so its effect shows at the next poll.
    """

    def __init__(self, fresh_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.fresh_s, self.clock = fresh_s, clock
        self._kept: tuple[float, Any] | None = None

    def get(self) -> Any | None:
        if self._kept is None or self.clock() - self._kept[0] >= self.fresh_s:
            return None
        return self._kept[1]

    def put(self, snapshot: Any) -> Any:
        self._kept = (self.clock(), snapshot)
        return snapshot

    def forget(self) -> None:
        self._kept = None
