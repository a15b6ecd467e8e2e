"""The fleet part of the worker: the exporter and the alerter as one Lifecycle, and the
answers of the ``/exporter`` and ``/alerts`` endpoints.

Why one part: both read the same snapshot, both are fed every event, both need the two
keyring secrets, and the worker's composition root should wire one thing. The worker
service binds the readers (its own ``status`` and ``networks``) once it exists, since
those answers are what everything exported and alerted is read from.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from desktop.errors import Refused, Unavailable
from desktop.fleet.alerts import Alerter
from desktop.fleet.exporter import KEY, Exporter
from desktop.fleet.secrets import INDEX_FILE, FleetSecrets
from desktop.fleet.snapshot import JobCounts, RigReaders, host_name
from desktop.ipc.schema import StatusAnswer, WorkerProblem
from desktop.ipc.schema_data import EarningsAnswer
from desktop.ipc.schema_fleet import (
    AlertsAnswer,
    AlertTestAnswer,
    ExporterAnswer,
    TokenAnswer,
    TokenRequest,
    TopicRequest,
)
from desktop.ipc.schema_networks import NetworksAnswer
from desktop.model import Event, Severity
from desktop.secrets import KeyringUnavailable
from desktop.settings.addresses import is_loopback, split_address

log = logging.getLogger(__name__)

NO_DESTINATION = (
    "No alert destination is set. Keep an ntfy topic in your keyring with `rigpilot alerts "
    "ntfy` (then subscribe to it in the ntfy app), or set a webhook with `rigpilot settings "
    "set alerts.webhook_url https://...`."
)


class Fleet:
    """Exporter + alerter (module docstring)."""

    def __init__(
        self,
        setting: Callable[[str], Any],
        publish: Callable[[Event], None],
        clock: Callable[[], float],
        *,
        data_dir: Path | None = None,
        secrets: FleetSecrets | None = None,
        earnings: Callable[[], Awaitable[EarningsAnswer]] | None = None,
        jobs: Callable[[], Awaitable[JobCounts]] | None = None,
        host: str | None = None,
    ) -> None:
        self.setting, self.publish, self.clock = setting, publish, clock
        self.secrets = secrets or FleetSecrets(index=data_dir / INDEX_FILE if data_dir else None)
        self.earnings, self.jobs = earnings, jobs
        self.exporter = Exporter(
            lambda: setting(KEY), lambda: self.secrets.metrics_token, publish, clock
        )
        self.alerter = Alerter(setting, self.secrets, data_dir, publish, clock, host or host_name())

    def bind(
        self,
        status: Callable[[], Awaitable[StatusAnswer]],
        networks: Callable[[], Awaitable[NetworksAnswer]] | None,
    ) -> None:
        """The worker's own answers, which every metric and alert is read from."""
        self.exporter.readers = RigReaders(status, networks, self.earnings, self.jobs)
        self.alerter.status = status

    # --- Lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self.secrets.load)
        await self.exporter.start()
        await self.alerter.start()

    async def close(self) -> None:
        await self.alerter.close()
        await self.exporter.close()

    def on_event(self, event: Event) -> None:
        self.exporter.on_event(event)
        self.alerter.on_event(event)

    def problems(self) -> list[WorkerProblem]:
        problem = self.exporter.problem
        if problem is None:
            return []
        return [WorkerProblem(code="metrics_not_served", message=problem, fix="")]

    # --- the API ------------------------------------------------------------------------

    async def exporter_state(self) -> ExporterAnswer:
        e = self.exporter
        listen = self.setting(KEY)
        serving, port = e.listening, e.port
        url = None
        if serving is not None and port is not None:
            host = split_address(serving)[0]
            url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/metrics"
        stats = e.stats
        return ExporterAnswer(
            listen=listen,
            serving=serving,
            url=url,
            token_set=self.secrets.metrics_token is not None,
            token_required=serving is not None and not is_loopback(split_address(serving)[0]),
            problem=e.problem,
            scrapes=stats.served,
            refused=stats.refused,
            last_scrape_ts=stats.last_ts,
        )

    async def token(self, request: TokenRequest) -> TokenAnswer:
        try:
            token, new = await asyncio.to_thread(self.secrets.token, request.rotate)
        except KeyringUnavailable as exc:
            raise Unavailable(str(exc)) from None
        if new:
            await asyncio.to_thread(self.exporter.token_changed)
            what = "replaced" if request.rotate else "made"
            self.publish(
                Event(self.clock(), "metrics.token", Severity.INFO,
                      f"The metrics bearer token was {what}; scrapes need the new one.")
            )  # fmt: skip
        return TokenAnswer(token=token, new=new)

    async def alerts_state(self) -> AlertsAnswer:
        a = self.alerter
        return AlertsAnswer(
            ntfy_server=str(self.setting("alerts.ntfy_server")),
            ntfy_topic_set=self.secrets.ntfy_topic is not None,
            webhook_url=self.setting("alerts.webhook_url"),
            network_failing_min=float(self.setting("alerts.network_failing_min")),
            repeat_after_min=float(self.setting("alerts.repeat_after_min")),
            destinations=[d.shown for d in a.destinations()],
            held_back=a.suppressed,
            recent=a.deliverer.deliveries(),
        )

    async def set_topic(self, request: TopicRequest) -> AlertsAnswer:
        try:
            await asyncio.to_thread(self.secrets.set_topic, request.topic)
        except KeyringUnavailable as exc:
            raise Unavailable(str(exc)) from None
        except ValueError as exc:
            raise Refused(str(exc), field="topic") from None
        what = "kept in your keyring" if request.topic else "forgotten"
        message = f"The ntfy topic was {what}."
        self.publish(Event(self.clock(), "alerts.changed", Severity.INFO, message))
        return await self.alerts_state()

    async def test_alerts(self) -> AlertTestAnswer:
        if not self.alerter.destinations():
            raise Refused(NO_DESTINATION)
        found = await self.alerter.send_test()
        return AlertTestAnswer(deliveries=found)
