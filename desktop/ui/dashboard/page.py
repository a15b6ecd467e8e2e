"""The dashboard: per-GPU cards and charts, a GPU selector and a time-range selector.

10 min comes from the live ring buffer the link fills each second; 1 h / 24 h / 7 d come
from ``GET /telemetry?range=`` (the ledger's rollups), fetched when chosen and once a minute
after. Redraws happen on a 1 s timer and only when something changed and the page is on
screen, so a hidden window costs no drawing at all.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import clock
from desktop.ipc import endpoints
from desktop.ipc.schema import StatusAnswer
from desktop.ipc.schema_data import TelemetryAnswer, TelemetryPoint, TelemetryQuery, TelemetryRange
from desktop.ipc.schema_networks import NetworkRecord
from desktop.model import Event
from desktop.ui.dashboard import series
from desktop.ui.dashboard.cards import CardRow
from desktop.ui.dashboard.charts import TimeChart
from desktop.ui.dashboard.earnings_chart import EarningsChart
from desktop.ui.dashboard.ring_buffer import RingBuffer
from desktop.ui.dashboard.summary import fill_cards
from desktop.ui.theme import Theme
from desktop.ui.worker_link import WorkerLink
from desktop.views.states import gpu_words

LIVE_CAPACITY = 4 * 3600
LONG_REFRESH_S = 60.0
SIM_AHEAD_S = 30.0
SIM_NOTE = "Simulated GPU: its clock runs faster than yours"
VRAM_NOTE = "VRAM temperature not reported by the driver"
RANGE_MNEMONICS = {"10m": "10 &min", "1h": "1 &h", "24h": "2&4 h", "7d": "&7 d"}


class DashboardPage(QWidget):
    """Signals: range_changed(str): the user picked a range ("10m", "1h", "24h", "7d")."""

    range_changed = Signal(str)

    def __init__(self, link: WorkerLink, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._link = link
        self._buffers: dict[int, RingBuffer] = {}
        self._long: dict[tuple[int, str], tuple[float, series.TelemetryArrays]] = {}
        self._networks: list[NetworkRecord] = []
        self.gpu = 0
        self.range = "10m"
        self._dirty = True
        self._build(theme)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._on_timer)
        self._timer.start()

    def _build(self, theme: Theme) -> None:
        self.gpu_select = QComboBox()
        self.gpu_select.setAccessibleName("GPU")
        self.gpu_select.currentIndexChanged.connect(self._on_gpu_selected)
        self.gpu_select.hide()
        self.range_group = QButtonGroup(self)
        self.range_group.setExclusive(True)
        controls = QHBoxLayout()
        controls.addWidget(self.gpu_select)
        self.gpu_label = QLabel()
        self.gpu_label.setObjectName("muted")
        controls.addWidget(self.gpu_label)
        controls.addStretch(1)
        self.resolution_label = QLabel()
        self.resolution_label.setObjectName("muted")
        controls.addWidget(self.resolution_label)
        for key, (_, _) in series.RANGES.items():
            button = QToolButton()
            button.setText(RANGE_MNEMONICS[key])
            button.setCheckable(True)
            button.setChecked(key == self.range)
            button.setProperty("range", key)
            button.setAccessibleName(f"Show the last {series.RANGES[key][0]}")
            self.range_group.addButton(button)
            controls.addWidget(button)
        self.range_group.buttonClicked.connect(lambda b: self.set_range(str(b.property("range"))))
        self.cards = CardRow()
        self.temp_chart = TimeChart("Temperature", "°C", theme)
        self.temp_chart.add_series("core", "GPU core", 0)
        self.temp_chart.add_series("core_max", "Core peak", 0, dashed=True)
        self.temp_chart.add_series("mem", "VRAM", 1)
        self.temp_chart.add_limit("soft", "soft limit", "soft")
        self.temp_chart.add_limit("pause", "pause limit", "hard")
        self.temp_chart.add_limit("mem_pause", "VRAM pause limit", "hard-dotted")
        self.power_chart = TimeChart("Power", "W", theme)
        self.power_chart.add_series("power", "Power draw", 2)
        self.power_chart.add_series("limit", "Power limit", 4, dashed=True)
        self.power_chart.set_y_floor(0.0)
        self.earn_chart = EarningsChart(self._link, theme)
        grid = QGridLayout()
        grid.setSpacing(10)
        grid.addWidget(self.temp_chart, 0, 0)
        grid.addWidget(self.power_chart, 0, 1)
        grid.addWidget(self.earn_chart, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(controls)
        layout.addWidget(self.cards)
        layout.addLayout(grid, 1)

    # --- inputs --------------------------------------------------------------------

    def on_samples(self, gpu: int, points: list[TelemetryPoint]) -> None:
        buf = self._buffers.get(gpu)
        if buf is None:
            buf = self._buffers[gpu] = RingBuffer(LIVE_CAPACITY, series.TELEMETRY_COLUMNS)
        buf.extend(series.point_row(p) for p in points)
        self._dirty = True

    def on_status(self, status: StatusAnswer) -> None:
        self.earn_chart.on_status(status)
        names = [f"GPU {g.index}: {g.info.name}" for g in status.gpus]
        if [self.gpu_select.itemText(i) for i in range(self.gpu_select.count())] != names:
            self.gpu_select.blockSignals(True)
            self.gpu_select.clear()
            self.gpu_select.addItems(names)
            self.gpu_select.setCurrentIndex(min(self.gpu, max(0, len(names) - 1)))
            self.gpu_select.blockSignals(False)
        self.gpu_select.setVisible(len(names) > 1)
        self._limits_from(status)
        self._dirty = True

    def _limits_from(self, status: StatusAnswer) -> None:
        """The guard's limits in force on the GPU shown (the card's own under "Auto"); the
        VRAM pause limit beside them when the card reports its VRAM temperature."""
        entry = next((g for g in status.gpus if g.index == self.gpu), None)
        if entry is None:
            if not status.gpus:  # no GPU: no lines over an empty chart
                self.set_limits(None, None)
                self.temp_chart.set_limit("mem_pause", None)
            return
        thermal = entry.thermal
        if thermal is None:
            return
        self.set_limits(thermal.limits.soft_c, thermal.limits.pause_c)
        vram = thermal.limits.mem_pause_c if thermal.vram_temperature_reported else None
        self.temp_chart.set_limit("mem_pause", vram)

    def on_snapshot(self) -> None:
        """The snapshot changed: the cards and the GPU's state line follow at once (the
        header renders from the same snapshot in the same turn, so they always agree)."""
        snapshot = self._link.snapshot
        now = clock.now()
        entry = snapshot.gpu(self.gpu)
        if entry is not None:
            state = gpu_words(entry, now).text
            one = snapshot.status is not None and len(snapshot.status.gpus) == 1
            name = f"GPU {entry.index}: {entry.info.name} · " if one else ""
            self.gpu_label.setText(name + state)
        fill_cards(self.cards, snapshot, self._networks, self.gpu, now)

    def on_networks(self, networks: list[NetworkRecord]) -> None:
        self._networks = networks
        self.earn_chart.set_names(networks)
        self.on_snapshot()

    def on_events(self, events: list[Event]) -> None:
        if self.earn_chart.on_events(events):
            self._dirty = True

    def on_event(self, event: Event) -> None:
        self.on_events([event])

    def clear(self) -> None:
        """Forget every reading and chart (another rig is on screen)."""
        self._buffers.clear()
        self._long.clear()
        self._networks = []
        self.earn_chart.clear()
        self.gpu = 0
        self.gpu_select.blockSignals(True)
        self.gpu_select.clear()
        self.gpu_select.blockSignals(False)
        self.gpu_select.hide()
        self.gpu_label.setText("")
        self._dirty = True
        self.on_snapshot()

    def set_limits(self, soft_c: float | None, pause_c: float | None) -> None:
        self.temp_chart.set_limit("soft", soft_c)
        self.temp_chart.set_limit("pause", pause_c)
        self._dirty = True

    def set_range(self, key: str) -> None:
        if key not in series.RANGES:
            return
        self.range = key
        for button in self.range_group.buttons():
            button.setChecked(button.property("range") == key)
        self._dirty = True
        self._fetch_long(force=False)
        self._render()
        self.range_changed.emit(key)

    def apply_theme(self, theme: Theme) -> None:
        for chart in (self.temp_chart, self.power_chart, self.earn_chart):
            chart.apply_theme(theme)

    def _on_gpu_selected(self, index: int) -> None:
        self.gpu = max(0, index)
        self._dirty = True
        self._fetch_long(force=False)
        self._render()
        self.on_snapshot()

    # --- fetching ------------------------------------------------------------------

    def _fetch_long(self, force: bool) -> None:
        if self.range == "10m" or not self._link.connected:
            return
        key = (self.gpu, self.range)
        got = self._long.get(key)
        if got and not force and clock.now() - got[0] < LONG_REFRESH_S:
            return

        def done(answer: TelemetryAnswer, key: tuple[int, str] = key) -> None:
            self._long[key] = (clock.now(), series.TelemetryArrays.from_answer(answer))
            self._dirty = True
            self._render()

        self._long[key] = (clock.now(), got[1] if got else series.TelemetryArrays())
        query = TelemetryQuery(gpu=self.gpu, range=TelemetryRange(self.range))
        self._link.call(endpoints.TELEMETRY, query, on_done=done, on_error=lambda exc: None)

    # --- drawing -------------------------------------------------------------------

    def _on_timer(self) -> None:
        if not self.isVisible():
            return
        self._fetch_long(force=False)
        if self._dirty:
            self._render()

    def window_bounds(self) -> tuple[float, float]:
        """The time range on screen; it ends at the newest sample (simulated clocks run fast).

        The end moves in steps of 1/60 of the range (10 s on the 10 min view), so the time
        axis is redrawn a few times a minute rather than at every sample.
        """
        span = series.RANGES[self.range][1]
        buf = self._buffers.get(self.gpu)
        live = buf.last_ts() if buf is not None else None
        ends = [live] if live is not None else [clock.now()]
        if self.range != "10m":
            ends.append(clock.now())
            got = self._long.get((self.gpu, self.range))
            if got and len(got[1].ts):
                ends.append(float(got[1].ts[-1]))
        step = span / 60
        end = math.ceil(max(ends) / step) * step
        return end - span, end

    def live_span(self) -> float:
        """Seconds of samples the live buffer of the shown GPU holds."""
        buf = self._buffers.get(self.gpu)
        ts = buf.ts() if buf is not None else None
        return float(ts[-1] - ts[0]) if ts is not None and len(ts) > 1 else 0.0

    def telemetry(self) -> series.TelemetryArrays:
        """The arrays the charts show now: the live buffer, or the range's rollups."""
        if self.range == "10m":
            buf = self._buffers.get(self.gpu)
            if buf is None:
                return series.TelemetryArrays()
            cols = {c: buf.column(c) for c in series.TELEMETRY_COLUMNS}
            return series.TelemetryArrays("raw", buf.ts(), cols)
        got = self._long.get((self.gpu, self.range))
        return got[1] if got else series.TelemetryArrays()

    def _render(self) -> None:
        self._dirty = False
        start, end = self.window_bounds()
        data = self.telemetry()
        empty = np.empty(0)
        for chart, keys in (
            (self.temp_chart, ("core", "core_max", "mem")),
            (self.power_chart, ("power", "limit")),
        ):
            for key in keys:
                chart.set_series(key, data.ts, data.columns.get(key, empty))
        has_mem = bool(len(data.ts)) and bool(np.isfinite(data.columns["mem"]).any())
        entry = self._link.snapshot.gpu(self.gpu)
        reported = (
            entry is not None
            and entry.thermal is not None
            and (entry.thermal.vram_temperature_reported)
        )
        notes = [] if has_mem or reported else [VRAM_NOTE]
        if len(data.ts) and data.ts[-1] - clock.now() > SIM_AHEAD_S:
            notes.append(SIM_NOTE)
        self.temp_chart.set_note(" · ".join(notes))
        self.power_chart.set_note(SIM_NOTE if SIM_NOTE in notes else "")
        self.resolution_label.setText(
            f"Showing {series.resolution_words(data.resolution)}" if len(data.ts) else ""
        )
        for chart in (self.temp_chart, self.power_chart):
            chart.set_window(start, end)
        self.earn_chart.sim_clock_shown = SIM_NOTE in notes
        self.earn_chart.draw(self.range)
