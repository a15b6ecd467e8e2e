"""The Clore.ai host API (networks.md §7): ``auth`` header, one request a second, ``code``.

Shapes as documented (docs.clore.ai/for-hosts/api, the official ``clore-ai`` Python SDK
0.1.1): every answer is JSON with ``code`` (0 normal, 1 database error, 2 invalid input,
3 invalid API token, 4 invalid endpoint, 5 more than 1 request/second, 6 see ``error``),
usually with HTTP 200, so the code is read here: 3 is a refused credential, 1 and 5 back
off like a server error, 2, 4 and 6 are refusals with the API's own words.
``server_config`` is a GET with a JSON body (``{"server_name": ...}``), as documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop.networks.remote_api import ApiRefused, JsonApi

API_URL = "https://api.clore.ai/v1"
SPACING_S = 1.0  # "EXCEEDED 1 request/second limit" (code 5)
CODE_WORDS = {
    1: "a database error",
    2: "invalid input data",
    4: "an invalid endpoint",
    6: "an error",
}


class CloreApi:
    """The calls RigPilot makes, each one request (the spacing is the client's)."""

    def __init__(self, api_key: str, base_url: str = API_URL, **kwargs: Any) -> None:
        kwargs.setdefault("spacing_s", SPACING_S)
        self.http = JsonApi("clore", "Clore.ai API", base_url, headers={"auth": api_key}, **kwargs)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        answer = self.http.request(method, path, body=None if body is None else dict(body))
        code = answer.get("code") if isinstance(answer, dict) else None
        if code == 0:
            return answer
        if code == 3:
            raise self.http.refuse_credential(
                "Clore.ai refused the API key (code 3, invalid API token)"
            )
        if code in (1, 5):
            raise self.http.fail(
                "reported more than one request a second (code 5)"
                if code == 5
                else "reported a database error (code 1)"
            )
        if isinstance(code, int) and not isinstance(code, bool):
            detail = answer.get("error") if isinstance(answer.get("error"), str) else ""
            words = CODE_WORDS.get(code, f"code {code}")
            raise ApiRefused(
                f"Clore.ai answered {words} (code {code}){': ' + detail[:120] if detail else ''}",
                400,
            )
        raise self.http.fail("answered without the documented code field")

    def my_servers(self) -> Any:
        """``GET /my_servers``: ``{code, servers: [{name, connected, online, ...}], limit}``."""
        return self._call("GET", "/my_servers")

    def server_config(self, server_name: str) -> Any:
        """``GET /server_config`` with ``{"server_name"}``: ``{code, config: {name,
        connected, online, initialized, id, rental_status, visibility, mrl, ...}}``."""
        return self._call("GET", "/server_config", {"server_name": server_name})

    def wallets(self) -> Any:
        """``GET /wallets``: ``{code, wallets: [{name, deposit, balance, withdrawal_fee}]}``."""
        return self._call("GET", "/wallets")

    def set_availability(self, server_name: str, available: bool) -> Any:
        """``POST /set_server_settings`` with ``{name, availability}`` only: the official
        SDK sends just the fields it changes, so prices and rental length stay as set."""
        return self._call(
            "POST", "/set_server_settings", {"name": server_name, "availability": available}
        )
