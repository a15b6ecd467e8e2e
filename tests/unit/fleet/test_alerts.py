"""Alerts: which news becomes a push, the rate limit, failing networks, the crash marker,
the message each destination gets, and the keyring secrets."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.fleet import run_marker
from desktop.fleet.alert_delivery import Deliverer, Destination, body, post
from desktop.fleet.alert_rules import FailingWatch, RateLimiter, from_event, trial_alert
from desktop.fleet.alerts import Alerter
from desktop.fleet.secrets import OWNER, FleetSecrets
from desktop.model import Event, NodeState, Severity
from desktop.secrets import SecretStore
from tests import api_samples as sample
from tests.unit.networks.conftest import MemoryKeyring

T0 = 1_700_000_000.0


def _kill(ts: float = T0, gpu: int = 0) -> Event:
    return Event(ts, "guard.kill", Severity.CRITICAL, "The fan has been at 0 %.", gpu_index=gpu)


def test_only_emergencies_and_lost_gpus_are_alerts() -> None:
    alert = from_event(_kill(), "rig1")
    assert alert is not None and alert.key == ("emergency_stop", "gpu 0")
    assert alert.priority == 5 and alert.title == "rig1: emergency stop on GPU 0"
    lost = from_event(Event(T0, "gpu.lost", Severity.CRITICAL, "GPU 1 stopped", gpu_index=1), "r")
    assert lost is not None and lost.key == ("gpu_lost", "gpu 1")
    for kind in ("guard.pause", "guard.set_power_limit", "job.finished", "network.state"):
        assert from_event(Event(T0, kind, Severity.WARNING, "x", gpu_index=0), "r") is None


def test_the_rate_limit_is_per_kind_and_subject_and_per_hour() -> None:
    limiter = RateLimiter(per_hour=3)
    a, b = ("emergency_stop", "gpu 0"), ("emergency_stop", "gpu 1")
    assert limiter.allow(a, T0, 600)
    assert not limiter.allow(a, T0 + 599, 600)  # the same alert inside the window
    assert limiter.allow(b, T0 + 1, 600)  # another GPU is another alert
    assert limiter.allow(a, T0 + 600, 600)
    assert not limiter.allow(("gpu_lost", "gpu 2"), T0 + 601, 600)  # 3 an hour at most
    assert limiter.allow(("gpu_lost", "gpu 2"), T0 + 3601, 600)


def test_a_network_failing_long_enough_is_told_once() -> None:
    watch = FailingWatch()
    failing = [sample.brief("nosana", NodeState.ERROR, message="the node crashed")]
    assert watch.check(failing, T0, 600, "rig1") == []
    assert watch.check(failing, T0 + 599, 600, "rig1") == []
    [alert] = watch.check(failing, T0 + 600, 600, "rig1")
    assert alert.key == ("network_failing", "nosana") and "the node crashed" in alert.message
    assert watch.check(failing, T0 + 900, 600, "rig1") == []
    assert watch.check([sample.brief("nosana", NodeState.IDLE)], T0 + 901, 600, "rig1") == []
    assert watch.check(failing, T0 + 902, 600, "rig1") == []  # the clock starts again
    held = [sample.brief("nosana", NodeState.ERROR, held=sample.user_hold())]
    offline_not_enrolled = [sample.brief("nosana", NodeState.OFFLINE, enrolled=False)]
    assert watch.check(held, T0 + 5000, 0, "r") == watch.check(offline_not_enrolled, T0, 0, "r")


def test_the_marker_tells_a_crash_from_a_clean_stop(tmp_path: Path) -> None:
    assert run_marker.unclean_previous_run(tmp_path) is None
    run_marker.mark_running(tmp_path, T0)
    previous = run_marker.unclean_previous_run(tmp_path)
    assert previous is not None and previous.started_ts == T0 and previous.pid
    run_marker.mark_stopped(tmp_path)
    assert run_marker.unclean_previous_run(tmp_path) is None
    (tmp_path / run_marker.FILE_NAME).write_text('{"pid": 4')  # cut short by the crash
    assert run_marker.unclean_previous_run(tmp_path) == run_marker.PreviousRun(None, None)


def test_ntfy_gets_its_json_and_the_webhook_the_whole_alert() -> None:
    alert = from_event(_kill(), "rig1")
    assert alert is not None
    ntfy = body(alert, Destination("ntfy", "https://ntfy.sh", "topic-x1"), "rig1")
    assert ntfy == {
        "topic": "topic-x1",
        "title": alert.title,
        "message": alert.message,
        "priority": 5,
        "tags": ["rotating_light"],
    }
    hook = body(alert, Destination("webhook", "https://example.org/h"), "rig1")
    assert hook["kind"] == "emergency_stop" and hook["gpu"] == 0 and hook["host"] == "rig1"
    assert "topic" not in str(hook)
    assert "topic-x1" not in Destination("ntfy", "https://ntfy.sh", "topic-x1").shown


def test_a_failed_post_says_why() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429)

    client = httpx.Client(transport=httpx.MockTransport(refuse))
    alert = trial_alert("rig1", T0)
    assert post(client, alert, Destination("webhook", "https://example.org/h"), "r") == (
        "it answered HTTP 429"
    )


class Settings(dict[str, Any]):
    def __call__(self, key: str) -> Any:
        return self[key]


def _alerter(tmp_path: Path, sent: list[dict[str, Any]], topic: str | None = None) -> Alerter:
    def record(request: httpx.Request) -> httpx.Response:
        sent.append({"url": str(request.url), "json": request.read().decode()})
        return httpx.Response(200)

    settings = Settings(
        {
            "alerts.webhook_url": "https://example.org/hook",
            "alerts.ntfy_server": "https://ntfy.example.org",
            "alerts.repeat_after_min": 60,
            "alerts.network_failing_min": 10,
        }
    )
    secrets = FleetSecrets(SecretStore(backend=MemoryKeyring()))
    secrets.ntfy_topic = topic
    deliverer = Deliverer(
        lambda: [], "rig1", lambda: T0, httpx.Client(transport=httpx.MockTransport(record))
    )
    alerter = Alerter(settings, secrets, tmp_path, lambda e: None, lambda: T0, "rig1", deliverer)
    deliverer.destinations = alerter.destinations
    return alerter


def test_the_alerter_sends_once_inside_the_limit_and_reports_a_crash(tmp_path: Path) -> None:
    sent: list[dict[str, Any]] = []
    run_marker.mark_running(tmp_path, T0 - 100)  # a run that died

    async def scenario() -> Alerter:
        alerter = _alerter(tmp_path, sent, topic="topic-x1")
        await alerter.start()
        alerter.on_event(_kill(T0))
        alerter.on_event(_kill(T0 + 60))  # the same, inside the hour
        await alerter.close()
        return alerter

    alerter = asyncio.run(scenario())
    kinds = [s["json"] for s in sent]
    assert len(sent) == 4  # (recovered + emergency) x (ntfy + webhook)
    assert sum('"emergency_stop"' in k for k in kinds) == 1  # the webhook's copy names it
    assert sum("topic-x1" in k for k in kinds) == 2
    assert {s["url"] for s in sent} == {"https://ntfy.example.org", "https://example.org/hook"}
    assert alerter.suppressed == 1
    assert run_marker.unclean_previous_run(tmp_path) is None  # a clean stop now


def test_nothing_queues_without_a_destination(tmp_path: Path) -> None:
    sent: list[dict[str, Any]] = []
    alerter = _alerter(tmp_path, sent)
    alerter.setting["alerts.webhook_url"] = None  # type: ignore[index]
    assert alerter.destinations() == [] and alerter.offer(trial_alert("r", T0)) is False


def test_the_secrets_live_in_the_keyring_only() -> None:
    backend = MemoryKeyring()
    secrets = FleetSecrets(SecretStore(backend=backend))
    token, new = secrets.token()
    assert new and secrets.token() == (token, False)
    secrets.set_topic("rigpilot-7f3k9q2m")
    assert backend.items[("rigpilot", f"{OWNER}:ntfy_topic")] == "rigpilot-7f3k9q2m"
    with pytest.raises(ValueError, match="1 to 64 letters"):
        secrets.set_topic("has space")
    fresh = FleetSecrets(SecretStore(backend=backend))
    fresh.load()
    assert (fresh.metrics_token, fresh.ntfy_topic) == (token, "rigpilot-7f3k9q2m")
    fresh.set_topic(None)
    assert fresh.ntfy_topic is None and ("rigpilot", f"{OWNER}:ntfy_topic") not in backend.items


class CountingKeyring(MemoryKeyring):
    """Counts reads: a worker whose user set no fleet secret must not open the keyring."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return super().get_password(service, username)


def test_the_keyring_is_read_only_for_the_secrets_the_index_says_are_kept(tmp_path: Path) -> None:
    backend = CountingKeyring()
    index = tmp_path / "fleet-secrets.json"

    def fresh() -> FleetSecrets:
        secrets = FleetSecrets(SecretStore(backend=backend), index=index)
        secrets.load()
        return secrets

    assert (fresh().ntfy_topic, backend.reads) == (None, 0)  # nothing set: no read at all
    fresh().set_topic("rigpilot-7f3k9q2m")
    assert "7f3k9q2m" not in index.read_text()  # names only, never values
    backend.reads = 0
    later = fresh()
    assert later.ntfy_topic == "rigpilot-7f3k9q2m" and later.metrics_token is None
    token, _ = later.token()
    assert fresh().metrics_token == token
    later.set_topic(None)
    backend.reads = 0
    gone = fresh()
    assert (gone.ntfy_topic, gone.metrics_token, backend.reads) == (None, token, 1)
    index.write_text("{not json")  # a damaged note: read both rather than miss one
    backend.reads = 0
    assert fresh().metrics_token == token and backend.reads == 2


def test_no_status_is_built_for_failing_networks_without_a_destination(tmp_path: Path) -> None:
    asked: list[int] = []

    async def status() -> Any:
        asked.append(1)
        return sample.status(networks=[])

    async def scenario() -> None:
        alerter = _alerter(tmp_path, [])
        alerter.setting["alerts.webhook_url"] = None  # type: ignore[index]
        alerter.status = status
        await alerter.check_networks()  # no one to tell: nothing to look at
        alerter.setting["alerts.webhook_url"] = "https://example.org/hook"  # type: ignore[index]
        await alerter.check_networks()

    asyncio.run(scenario())
    assert asked == [1]
