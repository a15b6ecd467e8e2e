"""io.net's Explorer API: the device's summary, proof-of-work results and block rewards.

Endpoints and shapes are io.net's own OpenAPI documents (ionet-official/docs
``openapi/io-explorer/*.json``; recorded in tests/data/ionet/). Base URL
``https://api.io.solutions``, header ``Token: <JWT>``. Rate limits (documented): 150
requests per 10 s overall, summary and details 100 per 5 min each, so RigPilot reads the
summary at most once a minute and the rest with the slow details (every 5 min).

The client answers raw JSON; desktop/networks/ionet_parse.py turns it into records.
"""

from __future__ import annotations

from typing import Any

from desktop.networks.backoff import Backoff
from desktop.networks.remote_api import JsonApi

EXPLORER_URL = "https://api.io.solutions"
TOKEN_HEADER = "Token"
# Enrollment checks a new token while the user's request waits (its client gives up after
# 5 s): a slower Explorer is "could not check", and the token is used all the same.
CHECK_TIMEOUT_S = 2.5


class ExplorerApi:
    """GETs of the Explorer API for one device (the token is set by the adapter)."""

    def __init__(self, base_url: str = EXPLORER_URL, **kwargs: Any) -> None:
        kwargs.setdefault("backoff", Backoff(base=2.0, cap=600.0))
        self.base_url = base_url
        self.http = JsonApi("ionet", "Explorer API", base_url, **kwargs)

    def use_token(self, token: str | None) -> None:
        self.http.set_header(TOKEN_HEADER, token)

    def summary(self, device_id: str) -> Any:
        """``GET /v1/io-explorer/devices/{id}/summary``: ``{data: {down_percentage,
        connectivity_tier, total_earnings, total_jobs, total_slashed_earning, ...}}``."""
        return self.http.get(f"/v1/io-explorer/devices/{device_id}/summary")

    def check(self, device_id: str, token: str) -> Any:
        """The summary read with ``token`` (not yet the one in use), within 2.5 s, by a
        client of its own (the one in use keeps its backoff and its refusals)."""
        probe = JsonApi(
            "ionet",
            "Explorer API",
            self.base_url,
            headers={TOKEN_HEADER: token},
            timeout_s=CHECK_TIMEOUT_S,
        )
        try:
            return probe.get(f"/v1/io-explorer/devices/{device_id}/summary")
        finally:
            probe.close()

    def details(self, device_id: str) -> Any:
        """``GET /v1/io-explorer/devices/{id}/details``: ``{data: {jobs: [...], ...}}``."""
        return self.http.get(f"/v1/io-explorer/devices/{device_id}/details")

    def pow_summary(self, device_id: str) -> Any:
        """``GET /v1/io-explorer/devices/{id}/pow-summary``: ``{data: {last_challenge_status,
        pow_jobs_passed, pow_jobs_failed}}``."""
        return self.http.get(f"/v1/io-explorer/devices/{device_id}/pow-summary")

    def block_rewards(self, device_id: str, from_date: str, to_date: str) -> Any:
        """``GET /v1/io-blocks/devices/{id}/block-rewards-summary/{from}/{to}`` (dates
        YYYY-MM-DD): ``{total_block_rewards, total_blocks_earned, total_blocks_failed,
        total_blocks_missed, datewise_earnings_summary}``."""
        return self.http.get(
            f"/v1/io-blocks/devices/{device_id}/block-rewards-summary/{from_date}/{to_date}"
        )

    def close(self) -> None:
        self.http.close()
