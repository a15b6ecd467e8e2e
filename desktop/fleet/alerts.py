"""Alerts without Prometheus, for one rig: the worker pushes its alarms itself.

Wiring of the pieces: events reach ``on_event`` on the worker's loop (an emergency stop
or a lost GPU is queued at once, so it leaves within a sample period), a check every
``CHECK_S`` reads the status snapshot for networks failing longer than
``alerts.network_failing_min``, and the start looks for the marker of a run that died
(run_marker.py). Each alert passes the rate limit (alert_rules.py) and goes to the
destinations set now: ntfy (``alerts.ntfy_server`` + the topic in the keyring) and the
webhook (``alerts.webhook_url``). With neither set, nothing is sent and nothing queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from desktop.fleet import run_marker
from desktop.fleet.alert_delivery import Deliverer, Delivery, Destination
from desktop.fleet.alert_rules import (
    Alert,
    FailingWatch,
    RateLimiter,
    from_event,
    recovered,
    trial_alert,
)
from desktop.fleet.secrets import FleetSecrets
from desktop.ipc.schema import StatusAnswer
from desktop.model import Event, Severity

log = logging.getLogger(__name__)

CHECK_S = 15.0


class Alerter:
    """Turns the rig's news into pushes (module docstring). A Lifecycle part."""

    def __init__(
        self,
        setting: Callable[[str], Any],
        secrets: FleetSecrets,
        data_dir: Path | None,
        publish: Callable[[Event], None],
        clock: Callable[[], float],
        host: str,
        deliverer: Deliverer | None = None,
    ) -> None:
        self.setting, self.secrets, self.data_dir = setting, secrets, data_dir
        self.publish, self.clock, self.host = publish, clock, host
        self.deliverer = deliverer or Deliverer(self.destinations, host, clock)
        self.limiter = RateLimiter()
        self.failing = FailingWatch()
        self.status: Callable[[], Awaitable[StatusAnswer]] | None = None
        self.suppressed = 0
        self._task: asyncio.Task[None] | None = None

    def destinations(self) -> list[Destination]:
        found = []
        topic = self.secrets.ntfy_topic
        if topic:
            found.append(Destination("ntfy", str(self.setting("alerts.ntfy_server")), topic))
        webhook = self.setting("alerts.webhook_url")
        if webhook:
            found.append(Destination("webhook", str(webhook)))
        return found

    # --- life -------------------------------------------------------------------------

    async def start(self) -> None:
        self.deliverer.start()
        if self.data_dir is not None:
            previous = await asyncio.to_thread(run_marker.unclean_previous_run, self.data_dir)
            await asyncio.to_thread(run_marker.mark_running, self.data_dir, self.clock())
            if previous is not None:
                alert = recovered(self.host, previous.pid, previous.started_ts, self.clock())
                self.publish(
                    Event(alert.ts, "worker.recovered", Severity.WARNING, alert.message,
                          data={"previous_pid": previous.pid})
                )  # fmt: skip
                self.offer(alert)
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.to_thread(self.deliverer.close)
        if self.data_dir is not None:
            await asyncio.to_thread(run_marker.mark_stopped, self.data_dir)

    # --- news in ----------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        alert = from_event(event, self.host)
        if alert is not None:
            self.offer(alert)

    def offer(self, alert: Alert) -> bool:
        """Queue ``alert`` if a destination is set and the rate limit allows it."""
        if not self.destinations():
            return False
        window_s = float(self.setting("alerts.repeat_after_min")) * 60
        if not self.limiter.allow(alert.key, alert.ts, window_s):
            self.suppressed += 1
            log.info("alerts: %s %s held back by the rate limit", alert.kind, alert.subject)
            return False
        self.deliverer.put(alert)
        return True

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(CHECK_S)
            try:
                await self.check_networks()
            except Exception:  # noqa: BLE001 - the next check tries again
                log.exception("alerts: the network check failed")

    async def check_networks(self) -> None:
        """Alert on networks failing too long; with no destination there is no one to tell,
        so the status is not even built (the watch starts counting when one is set)."""
        if self.status is None or not self.destinations():
            return
        status = await self.status()
        after_s = float(self.setting("alerts.network_failing_min")) * 60
        for alert in self.failing.check(status.networks, status.now, after_s, self.host):
            self.offer(alert)

    # --- the API ----------------------------------------------------------------------

    async def send_test(self) -> list[Delivery]:
        return await asyncio.to_thread(
            self.deliverer.send_now, trial_alert(self.host, self.clock())
        )
