"""Akash's public APIs (networks.md §4): the Console API and a provider's own gateway.

Console API (no auth), base ``https://console-api.akash.network``; shapes from the
console's own schemas (akash-network/console ``apps/api/src/provider/http-schemas/
provider.schema.ts`` and ``provider-earnings.schema.ts``):

- ``GET /v1/providers/{address}``: ``owner, hostUri, isOnline, lastOnlineDate, uptime1d,
  uptime7d, uptime30d, leaseCount, stats.{cpu,gpu,memory}.{active,available,pending},
  gpuModels[...], ...``
- ``GET /v1/provider-earnings/{owner}?from=YYYY-MM-DD&to=YYYY-MM-DD``:
  ``{earnings: {totalUAktEarned, totalUUsdcEarned, totalUActEarned, totalUUsdEarned}}``

The provider gateway's ``GET {hostUri}/status`` (akash-network/provider
``gateway/rest/router.go``; ``cluster.leases``, ``bidengine.orders``,
``manifest.deployments``, per the provider monitoring docs) answers without auth over the
provider's own TLS certificate, which is self-signed (its certificate is on chain, not
from a public CA): it is read without certificate checks, and nothing secret is sent.
"""

from __future__ import annotations

from typing import Any

from desktop.networks.remote_api import JsonApi

CONSOLE_URL = "https://console-api.akash.network"


class AkashConsole:
    """The Console API (public)."""

    def __init__(self, base_url: str = CONSOLE_URL, **kwargs: Any) -> None:
        self.http = JsonApi("akash", "Akash Console API", base_url, **kwargs)

    def provider(self, address: str) -> Any:
        return self.http.get(f"/v1/providers/{address}")

    def earnings(self, owner: str, first: str, last: str) -> Any:
        return self.http.get(f"/v1/provider-earnings/{owner}", {"from": first, "to": last})

    def close(self) -> None:
        self.http.close()


class ProviderGateway:
    """A provider's own status endpoint (its host URI, port 8443)."""

    def __init__(self, host_uri: str, **kwargs: Any) -> None:
        self.host_uri = host_uri
        self.http = JsonApi("akash", "provider's /status", host_uri, verify=False, **kwargs)

    def status(self) -> Any:
        return self.http.get("/status")

    def close(self) -> None:
        self.http.close()
