"""Hand-written fakes for the wizard's port (Electrum's DaemonMock idea), shared by its tests.

Imported by the test modules through ``conftest.py`` fixtures (pytest's importlib mode
does not put this folder on sys.path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from desktop.ipc.schema_data import SettingsAnswer, SettingsPatched
from desktop.ipc.schema_networks import (
    ActionRequired,
    CredentialField,
    NetworkChange,
    NetworkRecord,
)
from desktop.model import CheckResult, CheckStatus, NodeState
from desktop.settings import SettingsError, SettingsStore, schema_json
from desktop.wizard.port import PortError
from tests import api_samples as sample

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


def requirement(network: str, topic: str, ok: bool = True, fix: str = "") -> CheckResult:
    return CheckResult(
        id=f"{network}.{topic}",
        title=topic.capitalize(),
        status=CheckStatus.PASS if ok else CheckStatus.FAIL,
        summary="ok" if ok else f"{topic} missing",
        fix="" if ok else fix,
    )


def demo_network(enrolled: bool = False) -> NetworkRecord:
    return sample.record(
        "demo",
        state=NodeState.NOT_ENROLLED,
        enrolled=enrolled,
        next_step="Enroll it: rigpilot enroll demo",
        requirements=[requirement("demo", "any")],
        credential_fields=[
            CredentialField(
                name="api_key",
                kind="api_key",
                required=False,
                how_to_obtain="Optional: any text.",
                secret=True,
                label="Practice API key",
            )
        ],
    )


def nosana_network(gpu_ok: bool = True) -> NetworkRecord:
    return sample.record(
        "nosana",
        state=NodeState.NOT_ENROLLED,
        enrolled=False,
        requirements=[
            requirement("nosana", "native_linux"),
            requirement("nosana", "docker"),
            requirement("nosana", "toolkit"),
            requirement("nosana", "gpu", gpu_ok, "Nosana accepts RTX 3060 and newer."),
        ],
        credential_fields=[
            CredentialField(
                name="key_file",
                kind="keypair_file",
                required=True,
                how_to_obtain="Made by `nosana node join`.",
                url="https://docs.nosana.io",
                label="Key file",
            )
        ],
    )


class FakePort:
    """The worker as the wizard sees it: real settings validation, scripted networks;
    every answer is the typed object ``ClientPort`` would return."""

    def __init__(
        self,
        tmp: Path,
        checks: list[CheckResult] | None = None,
        networks: list[NetworkRecord] | None = None,
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

    def networks(self) -> list[NetworkRecord]:
        self.calls.append(("networks", None))
        return list(self.nets)

    def enroll(self, network: str, credentials: dict[str, str]) -> NetworkChange:
        self.calls.append(("enroll", (network, dict(credentials))))
        position, net = next((i, n) for i, n in enumerate(self.nets) if n.network == network)
        secrets = {f.name for f in net.credential_fields if f.secret}
        if not self.keyring_ok and any(credentials.get(s) for s in secrets):
            raise PortError(KEYRING_MESSAGE, code="invalid_request")
        net = msgspec.structs.replace(net, enrolled=True, state=NodeState.IDLE)
        self.nets[position] = net
        action = None
        if network == "nosana":
            action = ActionRequired(
                message="Wait for approval", url="https://dashboard.nosana.com"
            )
        return NetworkChange(status=net, action_required=action)

    def settings(self) -> SettingsAnswer:
        self.calls.append(("settings", None))
        values = {"settings": self.store.current.to_json(), "schema": schema_json()}
        return msgspec.convert({**values, "warnings": []}, SettingsAnswer)

    def patch_settings(self, changes: dict[str, Any]) -> SettingsPatched:
        self.calls.append(("patch", dict(changes)))
        before = self.store.current
        try:
            after = self.store.patch(changes)
        except SettingsError as exc:
            raise PortError(
                exc.message, code="invalid_setting", field=exc.field, allowed=exc.allowed
            ) from None
        return SettingsPatched(settings=after.to_json(), applied=before.diff(after))

    def enrolled_calls(self) -> list[tuple[str, dict[str, str]]]:
        return [c[1] for c in self.calls if c[0] == "enroll"]
