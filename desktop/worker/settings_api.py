"""``GET /settings`` and ``PATCH /settings``: the settings file and the side effects of a change.

Why in the worker: it owns the settings file and what a change sets off (the sampling
beat, the OS autostart entry, the guards' new limits), and the control loop adds each
card's own rules to every patch (an unsafe limit is refused before it is saved).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import msgspec

from desktop import autostart
from desktop.errors import InvalidSetting, Unavailable
from desktop.ipc.schema_data import SettingsAnswer, SettingsPatched
from desktop.model import Event, Severity
from desktop.settings import (
    SettingsError,
    SettingsSaveError,
    SettingsStore,
    Validator,
    schema_json,
)
from desktop.worker.control_loop import ControlLoop
from desktop.worker.gpus import GpuMonitor


class SettingsApi:
    """Reads and patches the settings (see the module docstring)."""

    def __init__(
        self,
        store: SettingsStore,
        monitor: GpuMonitor,
        control: ControlLoop | None,
        publish: Callable[[Event], None],
        clock: Callable[[], float],
        validators: list[Validator] | None = None,
    ) -> None:
        self.store, self.monitor, self.control = store, monitor, control
        self.publish, self.clock = publish, clock
        self.validators = list(validators or [])  # other parts' rules (the exporter's)

    async def settings(self) -> SettingsAnswer:
        return msgspec.convert(
            {
                "settings": self.store.current.to_json(),
                "schema": schema_json(),
                "warnings": list(self.store.warnings),
            },
            SettingsAnswer,
        )

    async def patch(self, changes: dict[str, Any]) -> SettingsPatched:
        before = self.store.current
        validators: list[Validator] = [*self.validators]
        if self.control is not None:
            validators += self.control.extra_validators()
        try:
            after = await asyncio.to_thread(self.store.patch, changes, validators)
        except SettingsError as exc:
            raise InvalidSetting(exc.message, field=exc.field, allowed=exc.allowed) from None
        except SettingsSaveError as exc:
            raise Unavailable(str(exc)) from None
        applied = before.diff(after)
        if "sampling.interval_s" in applied:
            self.monitor.set_interval(float(after.get("sampling.interval_s")))
        if "autostart" in applied:
            await self._apply_autostart(bool(after.get("autostart")))
        if applied:
            if self.control is not None:
                await asyncio.to_thread(self.control.apply_settings)
            self.publish(
                Event(
                    self.clock(),
                    "settings.changed",
                    Severity.INFO,
                    f"Settings changed: {', '.join(applied)}",
                    data={"keys": applied},
                )
            )
        return SettingsPatched(settings=after.to_json(), applied=applied)

    async def _apply_autostart(self, enabled: bool) -> None:
        """The worker owns side effects, so it writes the OS autostart entry for the app."""
        try:
            await asyncio.to_thread(autostart.apply_setting, enabled)
        except OSError as exc:
            self.publish(
                Event(
                    self.clock(),
                    "settings.autostart_failed",
                    Severity.WARNING,
                    f"Could not change starting at sign-in: {exc}",
                )
            )
