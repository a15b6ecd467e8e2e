"""Measuring the internet connection: latency, download, upload, and the public address.

Why Cloudflare's speed-test paths: ``speed.cloudflare.com`` serves ``GET /__down?bytes=N``
(N bytes), ``POST /__up`` (swallows the body) and ``GET /cdn-cgi/trace`` (``ip=<the
address it sees>``) to anyone, without a key, near most users; the endpoint is a setting
(``network.speed_test_url``) so that a user behind a firewall, or a test, can point it at
another server speaking the same three paths.

Every transfer is bounded in time and size, so a measurement costs a few seconds at most:
latency is the median of a few tiny requests on one connection (its first, which pays for
DNS and TLS, is not counted); download reads up to ``DOWN_BYTES`` or ``TRANSFER_S``;
upload first sends a small body to estimate the speed, then one sized for about
``TRANSFER_S``. Nothing here raises for a network failure: the measure carries the reason.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

DEFAULT_URL = "https://speed.cloudflare.com"
PINGS = 5
DOWN_BYTES = 50_000_000
TRANSFER_S = 3.0
FIRST_UP_BYTES = 1_000_000
MAX_UP_BYTES = 50_000_000
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass(frozen=True)
class LinkMeasure:
    """What one measurement found; ``error`` says why a figure is missing."""

    endpoint: str
    latency_ms: float | None = None
    down_mbps: float | None = None
    up_mbps: float | None = None
    public_ip: str | None = None
    error: str = ""

    @property
    def measured(self) -> bool:
        return self.down_mbps is not None and self.up_mbps is not None


def mbps(byte_count: int, seconds: float) -> float:
    return byte_count * 8 / max(seconds, 1e-6) / 1e6


class LinkProbe:
    """One measurement against one endpoint (module docstring)."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.perf_counter,
        transfer_s: float = TRANSFER_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock, self.transfer_s = clock, transfer_s
        self.client = httpx.Client(
            timeout=TIMEOUT, transport=transport, follow_redirects=False, trust_env=True
        )

    def measure(self) -> LinkMeasure:
        try:
            with self.client:
                latency = self._latency()
                public_ip = self._public_ip()
                down = self._download()
                up = self._upload(self._estimate_up())
        except httpx.TimeoutException:
            return LinkMeasure(self.base_url, error=f"{self.base_url} did not answer in time")
        except httpx.HTTPError as exc:
            why = f"{type(exc).__name__}: {exc}"[:160]
            return LinkMeasure(self.base_url, error=f"{self.base_url} is unreachable ({why})")
        except _Refused as exc:
            return LinkMeasure(self.base_url, error=str(exc))
        return LinkMeasure(self.base_url, latency, down, up, public_ip)

    def _get(self, path: str, **kw: object) -> httpx.Response:
        response = self.client.get(f"{self.base_url}{path}", **kw)  # type: ignore[arg-type]
        if response.status_code != 200:
            raise _Refused(f"{self.base_url}{path} answered HTTP {response.status_code}")
        return response

    def _latency(self) -> float:
        times = []
        for _ in range(PINGS + 1):
            start = self.clock()
            self._get("/__down", params={"bytes": 0})
            times.append(self.clock() - start)
        return round(statistics.median(times[1:]) * 1000, 1)

    def _public_ip(self) -> str | None:
        for line in self._get("/cdn-cgi/trace").text.splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "ip" and value.strip():
                return value.strip()[:64]
        return None

    def _download(self) -> float:
        url = f"{self.base_url}/__down"
        received, start = 0, self.clock()
        with self.client.stream("GET", url, params={"bytes": DOWN_BYTES}) as response:
            if response.status_code != 200:
                raise _Refused(f"{url} answered HTTP {response.status_code}")
            for chunk in response.iter_bytes(65536):
                received += len(chunk)
                if self.clock() - start >= self.transfer_s:
                    break
        return round(mbps(received, self.clock() - start), 1)

    def _send(self, size: int) -> float:
        start = self.clock()
        response = self.client.post(f"{self.base_url}/__up", content=bytes(size))
        if response.status_code != 200:
            raise _Refused(f"{self.base_url}/__up answered HTTP {response.status_code}")
        return self.clock() - start

    def _estimate_up(self) -> float:
        return mbps(FIRST_UP_BYTES, self._send(FIRST_UP_BYTES))

    def _upload(self, estimate_mbps: float) -> float:
        size = int(
            min(MAX_UP_BYTES, max(FIRST_UP_BYTES, estimate_mbps * 1e6 / 8 * self.transfer_s))
        )
        return round(mbps(size, self._send(size)), 1)


class _Refused(Exception):
    """The endpoint answered, but not as a speed-test server does."""
