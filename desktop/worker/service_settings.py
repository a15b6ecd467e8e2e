"""The worker's settings routes: read the settings with their schema, and patch them.

Why in the worker: it owns the settings file and the side effects of a change (the sampling
interval, the OS autostart entry), and the guard adds its own rules to every patch.
"""

from __future__ import annotations

import asyncio

import msgspec

from desktop import autostart
from desktop.errors import InvalidSetting, Unavailable
from desktop.ipc.schema_data import SettingsAnswer, SettingsChanges, SettingsPatched
from desktop.model import Severity
from desktop.settings import SettingsError, SettingsSaveError, SettingsStore, schema_json
from desktop.worker.service_base import ServiceBase


class SettingsRoutes(ServiceBase):
    """``GET /settings`` and ``PATCH /settings``."""

    async def settings(self) -> SettingsAnswer:
        store = self._settings()
        return msgspec.convert(
            {
                "settings": store.current.to_json(),
                "schema": schema_json(),
                "warnings": list(store.warnings),
            },
            SettingsAnswer,
        )

    async def patch_settings(self, changes: SettingsChanges) -> SettingsPatched:
        store = self._settings()
        before = store.current
        validators = self.parts.guard.extra_validators() if self.parts.guard is not None else []
        try:
            after = await asyncio.to_thread(store.patch, changes, validators)
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
            self.publish(
                "settings.changed",
                f"Settings changed: {', '.join(applied)}",
                data={"keys": applied},
            )
        return SettingsPatched(settings=after.to_json(), applied=applied)

    async def _apply_autostart(self, enabled: bool) -> None:
        """The worker owns side effects, so it writes the OS autostart entry for the app."""
        try:
            await asyncio.to_thread(autostart.apply_setting, enabled)
        except OSError as exc:
            self.publish(
                "settings.autostart_failed",
                f"Could not change starting at sign-in: {exc}",
                severity=Severity.WARNING,
            )

    def _settings(self) -> SettingsStore:
        if self.parts.settings is None:
            raise Unavailable("Settings are not available in this worker yet")
        return self.parts.settings
