"""Golem's two HTTP APIs: the local yagna daemon's REST API and the public stats API.

yagna (networks.md §3; paths and shapes as the GamerHash facade, Golem's own desktop
integration, reads them: Golem/Yagna/YagnaApi.cs and Golem/Yagna/Model/*.cs) answers on
``http://127.0.0.1:7465`` (yagna's default; ``YAGNA_API_URL``) with ``Authorization:
Bearer <app key>``. The stats API (golemfactory/golem-stats-backend, api2/urls.py) is
public at ``https://api.stats.golem.network``. Raw JSON out; golem_parse.py reads it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from desktop.networks.backoff import Backoff
from desktop.networks.remote_api import JsonApi

YAGNA_URL = "http://127.0.0.1:7465"
STATS_URL = "https://api.stats.golem.network"
LOCAL_TIMEOUT_S = 3.0


def iso(ts: float) -> str:
    """A moment as the facade sends it to yagna (UTC, ISO 8601)."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


class YagnaApi:
    """The local daemon: who it is, its agreements, activities and invoices."""

    def __init__(self, base_url: str = YAGNA_URL, **kwargs: Any) -> None:
        kwargs.setdefault("timeout_s", LOCAL_TIMEOUT_S)
        kwargs.setdefault("backoff", Backoff(base=1.0, cap=30.0))
        self.http = JsonApi("golem", "yagna API", base_url, **kwargs)

    def use_key(self, app_key: str | None) -> None:
        self.http.set_header("Authorization", f"Bearer {app_key}" if app_key else None)

    def me(self) -> Any:
        """``GET /me``: ``{identity, name, role}``."""
        return self.http.get("/me")

    def agreements(self, after: float | None = None) -> Any:
        """``GET /market-api/v1/agreements[?afterDate=]``: ``[{id, validTo, timestamp}]``."""
        return self.http.get(
            "/market-api/v1/agreements", {"afterDate": iso(after) if after is not None else None}
        )

    def activities(self, agreement_id: str) -> Any:
        """``GET /activity-api/v1/activity?agreementId=``: the activity ids."""
        return self.http.get("/activity-api/v1/activity", {"agreementId": agreement_id})

    def activity_state(self, activity_id: str) -> Any:
        """``GET /activity-api/v1/activity/{id}/state``: ``{state: [now, next], reason}``."""
        return self.http.get(f"/activity-api/v1/activity/{activity_id}/state")

    def invoices(self, after: float | None = None) -> Any:
        """``GET /payment-api/v1/invoices[?afterTimestamp=]``: ``[{invoiceId, agreementId,
        amount, status, timestamp, ...}]``."""
        return self.http.get(
            "/payment-api/v1/invoices",
            {"afterTimestamp": iso(after) if after is not None else None},
        )

    def close(self) -> None:
        self.http.close()


class StatsApi:
    """Golem's public stats: a node's uptime, reputation and earnings (no credential)."""

    def __init__(self, base_url: str = STATS_URL, network: str = "golem", **kwargs: Any) -> None:
        kwargs.setdefault("backoff", Backoff(base=5.0, cap=900.0))
        self.http = JsonApi(network, "stats API", base_url, **kwargs)

    def node(self, node_id: str) -> Any:
        """``GET /v2/provider/node/{id}``: ``[{node_id, online, computing_now, uptime,
        earnings_total, version, runtimes, reputation, ...}]`` (404 when unknown)."""
        return self.http.get(f"/v2/provider/node/{node_id}")

    def uptime(self, node_id: str) -> Any:
        """``GET /v2/provider/uptime/{id}``: ``{first_seen, uptime_percentage, data,
        current_status}``."""
        return self.http.get(f"/v2/provider/uptime/{node_id}")

    def earnings(self, node_id: str, since: float) -> Any:
        """``GET /v2/provider/earnings/{id}/{epoch}``: ``{total_amount_matched,
        total_amount_not_matched}`` in GLM, received since ``since``."""
        return self.http.get(f"/v2/provider/earnings/{node_id}/{int(since)}")

    def close(self) -> None:
        self.http.close()
