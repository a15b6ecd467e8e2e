"""The Vast.ai host API (networks.md §5), as the official CLI calls it.

Base ``https://console.vast.ai/api/v0``, header ``Authorization: Bearer <key>``
(vast-cli ``vastai/api/client.py``); the paths and bodies are the CLI's
(``vastai/api/machines.py``, ``billing.py``) and the API reference's
(``api-reference/openapi/yaml/{show_machines,list_machine,unlist_machine,show_earnings}.yaml``).
A 429 means "API requests too frequent" (a per-endpoint threshold of about 2 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop.networks.remote_api import ApiRefused, JsonApi

API_URL = "https://console.vast.ai/api/v0"
SPACING_S = 1.0


class VastApi:
    """The calls RigPilot makes with a host account's API key."""

    def __init__(self, api_key: str, base_url: str = API_URL, **kwargs: Any) -> None:
        kwargs.setdefault("spacing_s", SPACING_S)
        headers = {"Authorization": f"Bearer {api_key}"}
        self.http = JsonApi("vast", "Vast.ai API", base_url, headers=headers, **kwargs)

    def close(self) -> None:
        self.http.close()

    def machines(self) -> Any:
        """``GET /machines?owner=me``: ``{machines: [{id, ...}]}``."""
        return self.http.get("/machines", {"owner": "me"})

    def earnings(self, first_day: int, last_day: int, machine_id: int | None) -> Any:
        """``GET /users/me/machine-earnings?owner=me&sday=&eday=&machid=`` (days since the
        epoch): ``{summary: {total_gpu, total_stor, total_bwu, total_bwd}, current:
        {balance, ...}, per_day: [{day, gpu_earn, sto_earn, bwu_earn, bwd_earn}]}``."""
        query = {"owner": "me", "sday": first_day, "eday": last_day, "machid": machine_id}
        return self.http.get("/users/me/machine-earnings", query)

    def unlist(self, machine_id: int) -> Any:
        """``DELETE /machines/{id}/asks/``: removes the offers (new rentals only)."""
        return _succeeded(self.http.request("DELETE", f"/machines/{machine_id}/asks/"))

    def list(self, machine_id: int, terms: Mapping[str, Any]) -> Any:
        """``PUT /machines/create_asks/`` with ``{machine, price_gpu, ...}``."""
        body = {"machine": machine_id, **terms}
        return _succeeded(self.http.request("PUT", "/machines/create_asks/", body=body))


def _succeeded(answer: Any) -> Any:
    """The documented ``{success: false, msg | error}`` is a refusal in Vast.ai's words."""
    if isinstance(answer, dict) and answer.get("success") is False:
        said = answer.get("msg") or answer.get("error") or "no reason given"
        raise ApiRefused(f"Vast.ai refused: {str(said)[:200]}", 400)
    return answer
