"""The Settings page: every setting the worker's schema lists, in sections, with one Save.

Why one Save and the worker as judge: a patch is validated whole by the worker
(``PATCH /settings``), so a bad value anywhere saves nothing, and a refusal comes back with
the field and the allowed range, shown in place under that field while the user's input
stays for correcting. After a save the page shows what the worker confirmed it applied
and reloads every editor from the worker's answer, not from what was typed.

Signals:
    loaded(dict): the settings were (re)loaded from the worker.
    saved(list): the worker applied these keys.
    refused(str, str): the worker refused (field, message).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller
from desktop.ipc.schema import StatusAnswer
from desktop.ipc.schema_data import SettingsAnswer, SettingsPatched, SettingSpec
from desktop.model import CheckStatus
from desktop.ui import tasks
from desktop.ui.alerts_box import AlertsBox
from desktop.ui.settings_editors import Editor, NumberEditor, make_editor
from desktop.ui.wizard.base import error_colour, muted_label, status_colour, wrapped
from desktop.views.settings_words import allowed_words, auto_values, refusal_words
from desktop.views.text import plain, temp
from desktop.wizard.client_port import as_port_error
from desktop.wizard.state import Problem

Runner = Callable[..., None]
LABEL_WIDTH = 140

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Heat",
        (
            "thermal.soft_limit_c",
            "thermal.pause_limit_c",
            "thermal.resume_limit_c",
            "thermal.cooldown_s",
            "thermal.memory_pause_limit_c",
            "thermal.user_power_limit_w",
        ),
    ),
    (
        "Games and your presence",
        (
            "gaming.enabled",
            "gaming.games",
            "gaming.quiet_period_s",
            "gaming.idle_only",
            "gaming.idle_after_s",
        ),
    ),
    ("Schedule", ("schedule.enabled", "schedule.windows")),
    (
        "Electricity",
        ("electricity.price_per_kwh", "electricity.currency", "electricity.system_overhead_w"),
    ),
    ("App", ("sampling.interval_s", "autostart", "ui.theme", "notifications.enabled")),
    (
        "Beyond this PC (docs/fleet.md)",
        (
            "metrics.listen",
            "alerts.webhook_url",
            "alerts.ntfy_server",
            "alerts.network_failing_min",
            "alerts.repeat_after_min",
        ),
    ),
)
LABELS = {
    "thermal.soft_limit_c": "Ease the load at",
    "thermal.pause_limit_c": "Pause at",
    "thermal.resume_limit_c": "Resume below",
    "thermal.cooldown_s": "Cool-down",
    "thermal.memory_pause_limit_c": "Pause at VRAM",
    "thermal.user_power_limit_w": "Power cap",
    "gaming.games": "Your games",
    "gaming.quiet_period_s": "Quiet period",
    "gaming.idle_after_s": "Away after",
    "schedule.windows": "Windows",
    "electricity.price_per_kwh": "Price per kWh",
    "electricity.currency": "Currency",
    "electricity.system_overhead_w": "Rest of the PC",
    "sampling.interval_s": "Read the GPU every",
    "ui.theme": "Theme",
    "metrics.listen": "Prometheus metrics at",
    "alerts.webhook_url": "Webhook for alerts",
    "alerts.ntfy_server": "ntfy server",
    "alerts.network_failing_min": "Network failing for",
    "alerts.repeat_after_min": "Same alert again after",
}


def label_for(key: str) -> str:
    return LABELS.get(key, key.rsplit(".", 1)[-1].replace("_", " ").capitalize())


def _shown(key: str, value: Any, schema: Mapping[str, SettingSpec]) -> str:
    unit = schema[key].unit if key in schema else ""
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return f"{value:g} {unit}".strip()
    if isinstance(value, list):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    return str(value)


class SettingsPage(QWidget):
    loaded = Signal(dict)
    saved = Signal(list)
    refused = Signal(str, str)

    def __init__(
        self,
        client: Caller,
        parent: QWidget | None = None,
        run: Runner = tasks.run_in_background,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self._run = run
        self.settings: dict[str, Any] = {}
        self.schema: dict[str, SettingSpec] = {}
        self.status_answer: StatusAnswer | None = None
        self.editors: dict[str, Editor] = {}
        self.alerts = AlertsBox(client, run)
        self.saving = False
        title = QLabel("Settings")
        title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.card = muted_label()
        self.card.hide()
        self._form_host = QWidget()
        self._form_layout = QVBoxLayout(self._form_host)
        self._form_layout.setContentsMargins(0, 0, 8, 0)
        self._form_layout.setSpacing(12)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._form_host)
        self.status = wrapped(selectable=True)
        self.save_button = QPushButton("&Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Re&vert")
        self.revert_button.setToolTip("Forget unsaved changes and show what is in force")
        self.revert_button.clicked.connect(self.reload)
        footer = QHBoxLayout()
        footer.addWidget(self.status, 1)
        footer.addWidget(self.revert_button)
        footer.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.addWidget(title)
        layout.addWidget(self.card)
        layout.addWidget(scroll, 1)
        layout.addLayout(footer)

    # --- loading ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self.settings:
            self.reload()

    def reload(self) -> None:
        self._run(lambda: self.client.call(endpoints.SETTINGS), self._on_loaded, self._on_fail)
        self._run(lambda: self.client.call(endpoints.STATUS), self._on_status, lambda e: None)

    def _on_loaded(self, answer: SettingsAnswer) -> None:
        self.schema = dict(answer.schema)
        self.settings = dict(answer.settings)
        if not self.editors:
            self._build()
            self._show_auto()
        self._fill(self.settings)
        self._say("")
        self.loaded.emit(self.settings)

    def _on_fail(self, exc: Exception) -> None:
        message = plain(as_port_error(exc).message)
        self._say(f"The settings could not be loaded: {message}", error=True)

    def _on_status(self, status: StatusAnswer) -> None:
        """The card's own limits, which the thermal settings are judged against."""
        lines = []
        for gpu in status.gpus:
            slow, stop = gpu.info.thresholds.slowdown_c, gpu.info.thresholds.shutdown_c
            if slow is None and stop is None:
                continue
            lines.append(
                f"{gpu.info.name}: slows itself at {temp(slow)} and shuts down "
                f"at {temp(stop)}. RigPilot keeps its own limits below these."
            )
        self.card.setText("\n".join(lines))
        self.card.setVisible(bool(lines))
        self.status_answer = status
        self._show_auto()

    def _show_auto(self) -> None:
        """Each "Auto" thermal field says the limit in force (the guard's, per card)."""
        for key, editor in self.editors.items():
            if isinstance(editor, NumberEditor):
                editor.set_auto_values(auto_values(key, self.status_answer))

    def _build(self) -> None:
        placed: set[str] = set()
        sections = list(SECTIONS)
        extra = tuple(k for k in self.schema if all(k not in keys for _t, keys in SECTIONS))
        if extra:
            sections.append(("Other", extra))
        for title, keys in sections:
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setVerticalSpacing(10)
            for key in keys:
                if key not in self.schema or key in placed:
                    continue
                spec = self.schema[key]
                editor = make_editor(key, spec)
                editor.edited.connect(self._on_edited)
                self.editors[key] = editor
                placed.add(key)
                label = QLabel(label_for(key))
                label.setMinimumWidth(LABEL_WIDTH)  # one column edge across all sections
                form.addRow(label, editor)
            self._form_layout.addWidget(box)
        self._form_layout.addWidget(self.alerts)
        self.alerts.reload()
        self._form_layout.addStretch(1)

    def _fill(self, settings: Mapping[str, Any]) -> None:
        for key, editor in self.editors.items():
            editor.set_value(settings[key])  # every key, always (SettingsAnswer)
            editor.show_problem(None)

    # --- saving -----------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        """The editors' values that differ from the settings in force."""
        out: dict[str, Any] = {}
        for key, editor in self.editors.items():
            value = editor.value()
            if value != self.settings[key]:
                out[key] = value
        return out

    def _on_edited(self) -> None:
        if not self.saving:
            pending = len(self.changes())
            self._say(f"{pending} unsaved change{'s' if pending != 1 else ''}." if pending else "")

    def save(self) -> None:
        if self.saving:
            return
        changes = self.changes()
        for editor in self.editors.values():
            editor.show_problem(None)
        if not changes:
            self._say("Nothing to save: these are the settings in force.")
            return
        self.saving = True
        self.save_button.setEnabled(False)
        self._say("Saving…")
        self._run(
            lambda: self.client.call(endpoints.PATCH_SETTINGS, changes),
            self._on_saved,
            self._on_refused,
        )

    def _on_saved(self, answer: SettingsPatched) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.settings = dict(answer.settings)
        applied = answer.applied
        self._fill(self.settings)
        if applied:
            confirmed = ", ".join(
                f"{label_for(k)} = {_shown(k, self.settings[k], self.schema)}" for k in applied
            )
            self._say(f"Saved. The worker applied: {confirmed}.", ok=True)
        else:
            self._say("Saved: nothing needed changing.", ok=True)
        self.saved.emit(applied)

    def _on_refused(self, exc: Exception) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        error = as_port_error(exc)
        editor = self.editors.get(error.field or "")
        if editor is not None:
            label, spec, empty = label_for(editor.key), editor.spec, editor.empty_word
            message = refusal_words(error.message, editor.key, label, spec, empty)
            allowed = (
                refusal_words(error.allowed, editor.key, label, spec, empty)
                if isinstance(error.allowed, str)
                else allowed_words(spec, empty)
            )
            editor.show_problem(Problem(message, error.field, allowed))
            self._say(
                f"Not saved: {label_for(editor.key)} needs fixing (in red above). "
                "The previous settings stay in force.",
                error=True,
            )
        else:
            self._say(f"Not saved: {plain(error.message)}", error=True)
        self.refused.emit(error.field or "", error.message)

    def _say(self, message: str, error: bool = False, ok: bool = False) -> None:
        if error:
            self.status.setStyleSheet(f"color: {error_colour(self)};")
        elif ok:
            self.status.setStyleSheet(f"color: {status_colour(self, CheckStatus.PASS)};")
        else:
            self.status.setStyleSheet("")
        self.status.setText(message)
