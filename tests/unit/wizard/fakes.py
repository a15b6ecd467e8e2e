"""Hand-written fakes for the wizard's port (Electrum's DaemonMock idea), shared by its tests.

Imported by the test modules through ``conftest.py`` fixtures (pytest's importlib mode
does not put this folder on sys.path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.model import CheckResult, CheckStatus
from desktop.settings import SettingsError, SettingsStore, schema_json
from desktop.wizard.port import PortError

KEYRING_MESSAGE = (
    "no keyring service was found. RigPilot keeps network credentials only in your system "
    "keyring and never in plain text."
)


def check(check_id: str, status: str = "pass", title: str = "", fix: str = "") -> CheckResult:
    summary = {"pass": "fine", "fail": "not fine", "skip": "skipped", "warn": "careful"}[status]
    return CheckResult(check_id, title or check_id, CheckStatus(status), summary, fix)


def healthy_checks() -> list[CheckResult]:
    ids = [
        "driver",
        "cuda",
        "gpu",
        "docker.engine",
        "toolkit.version",
        "toolkit.runtime",
        "toolkit.envvar",
        "runc",
        "gpu.smoke",
        "system.os",
        "system.ram",
        "system.disk",
        "system.virt",
    ]
    return [check(i) for i in ids]


def with_status(
    results: list[CheckResult], check_id: str, status: str, fix: str = "", title: str = ""
) -> list[CheckResult]:
    out = []
    for r in results:
        if r.id == check_id:
            out.append(check(check_id, status, title or r.title, fix))
        else:
            out.append(r)
    return out


def requirement(network: str, topic: str, ok: bool = True, fix: str = "") -> dict[str, Any]:
    return {
        "id": f"{network}.{topic}",
        "title": topic.capitalize(),
        "status": "pass" if ok else "fail",
        "summary": "ok" if ok else f"{topic} missing",
        "fix": "" if ok else fix,
        "details": {},
    }


def demo_network(enrolled: bool = False) -> dict[str, Any]:
    return {
        "network": "demo",
        "display_name": "Practice network",
        "state": "not_enrolled",
        "enrolled": enrolled,
        "next_step": "Enroll it: rigpilot enroll demo",
        "requirements": [requirement("demo", "any")],
        "credential_fields": [
            {
                "name": "api_key",
                "kind": "api_key",
                "required": False,
                "how_to_obtain": "Optional: any text.",
                "url": None,
                "expires_days": None,
                "secret": True,
                "label": "Practice API key",
            }
        ],
        "earnings_today": {"gross_usd": "0", "net_usd": "0"},
        "earnings_total": {"gross_usd": "0", "net_usd": "0"},
        "reputation": None,
    }


def nosana_network(gpu_ok: bool = True) -> dict[str, Any]:
    return {
        "network": "nosana",
        "display_name": "Nosana",
        "state": "not_enrolled",
        "enrolled": False,
        "next_step": "",
        "requirements": [
            requirement("nosana", "native_linux"),
            requirement("nosana", "docker"),
            requirement("nosana", "toolkit"),
            requirement("nosana", "gpu", gpu_ok, "Nosana accepts RTX 3060 and newer."),
        ],
        "credential_fields": [
            {
                "name": "key_file",
                "kind": "keypair_file",
                "required": True,
                "how_to_obtain": "Made by `nosana node join`.",
                "url": "https://docs.nosana.io",
                "expires_days": None,
                "secret": False,
                "label": "Key file",
            }
        ],
        "earnings_today": {"gross_usd": "0", "net_usd": "0"},
        "earnings_total": {"gross_usd": "0", "net_usd": "0"},
        "reputation": None,
    }


class FakePort:
    """The worker as the wizard sees it: real settings validation, scripted networks."""

    def __init__(
        self,
        tmp: Path,
        checks: list[CheckResult] | None = None,
        networks: list[dict[str, Any]] | None = None,
        keyring_ok: bool = True,
    ) -> None:
        self.store = SettingsStore(tmp / "settings.json")
        self.checks = healthy_checks() if checks is None else checks
        self.nets = [demo_network(), nosana_network()] if networks is None else networks
        self.keyring_ok = keyring_ok
        self.calls: list[tuple[str, Any]] = []
        self.smoke_runs = 0

    def run_checks(self, smoke: bool = False) -> list[CheckResult]:
        self.calls.append(("run_checks", smoke))
        self.smoke_runs += int(smoke)
        return list(self.checks)

    def networks(self) -> list[dict[str, Any]]:
        self.calls.append(("networks", None))
        return [dict(n) for n in self.nets]

    def enroll(self, network: str, credentials: dict[str, str]) -> dict[str, Any]:
        self.calls.append(("enroll", (network, dict(credentials))))
        net = next(n for n in self.nets if n["network"] == network)
        secrets = {f["name"] for f in net["credential_fields"] if f["secret"]}
        if not self.keyring_ok and any(credentials.get(s) for s in secrets):
            raise PortError(KEYRING_MESSAGE, code="invalid_request")
        net["enrolled"] = True
        action = None
        if network == "nosana":
            action = {"message": "Wait for approval", "url": "https://dashboard.nosana.com"}
        return {"status": {**net, "state": "idle"}, "action_required": action}

    def settings(self) -> dict[str, Any]:
        self.calls.append(("settings", None))
        return {"settings": self.store.current.to_json(), "schema": schema_json()}

    def patch_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("patch", dict(changes)))
        before = self.store.current
        try:
            after = self.store.patch(changes)
        except SettingsError as exc:
            raise PortError(
                exc.message, code="invalid_setting", field=exc.field, allowed=exc.allowed
            ) from None
        return {"settings": after.to_json(), "applied": before.diff(after)}

    def enrolled_calls(self) -> list[tuple[str, dict[str, str]]]:
        return [c[1] for c in self.calls if c[0] == "enroll"]
