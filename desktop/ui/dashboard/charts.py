"""Time charts on a real clock axis, fed from fixed-size numpy ring buffers.

Cheap by construction (peers are criticised for idle CPU): the curves are created once and
only ``setData`` is called on them, at most once a second; ``clipToView`` and peak
downsampling keep a day of 1 Hz samples (86 400 points a series) fast to draw; the y range
is computed here, once per update, instead of pyqtgraph's auto-range on every paint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

from desktop.ui.theme import Theme

DENSE_POINTS = 4000


@dataclass
class _Series:
    curve: pg.PlotDataItem
    label: str
    colour: int
    dashed: bool
    dense: bool = False


@dataclass
class _Limit:
    line: pg.InfiniteLine
    label: str
    kind: str
    value: float | None = None


class TimeChart(QWidget):
    """One chart: named curves over epoch-second x values, optional horizontal limit lines.

    The legend is a rich-text header above the plot (title, one swatch per visible curve,
    the limits with their values, and a note on the right) rather than pyqtgraph's legend
    inside the plot, which would cover the data and the limit lines.
    """

    def __init__(self, title: str, unit: str, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = theme
        self._title = title
        self._unit = unit
        self._curves: dict[str, _Series] = {}
        self._limits: dict[str, _Limit] = {}
        self._y_floor: float | None = None
        self._min_span = 1.0
        self.setObjectName("chart")
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setAccessibleName(f"{title} chart")
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setMouseEnabled(x=False, y=False)
        item.getAxis("left").setWidth(44)
        for name in ("left", "bottom"):
            # Axes repaint from a cached pixmap unless their range changed: replaying their
            # tick labels on every curve update was most of the dashboard's CPU time.
            item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.note = QLabel()
        self.note.setObjectName("muted")
        self.note.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.header.setWordWrap(True)
        self.note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self.setMinimumHeight(180)
        self.apply_theme(theme)

    # --- configuration -------------------------------------------------------------

    def add_series(self, key: str, label: str, colour: int, dashed: bool = False) -> None:
        curve = pg.PlotDataItem()
        curve.setClipToView(True)
        # About one min/max pair per pixel: what the eye can see, and 5x less to draw than
        # pyqtgraph's default for a day of 1 s samples.
        curve.opts["autoDownsampleFactor"] = 1.0
        curve.hide()
        self.plot.getPlotItem().addItem(curve)
        self._curves[key] = _Series(curve, label, colour, dashed)
        self._style_curve(key)

    def add_limit(self, key: str, label: str, kind: str) -> None:
        """A horizontal line, hidden until set: ``kind`` "soft" or "hard" picks its colour;
        "hard-dotted" is a hard limit drawn dash-dotted (the VRAM pause limit, told apart
        from the core's pause line)."""
        line = pg.InfiniteLine(angle=0, movable=False)
        line.hide()
        self.plot.getPlotItem().addItem(line, ignoreBounds=True)
        self._limits[key] = _Limit(line, label, kind)
        self._style_limit(key)

    def set_title(self, title: str) -> None:
        if title != self._title:
            self._title = title
            self._update_header()

    def set_min_span(self, span: float) -> None:
        """The smallest y span shown (1 °C, 1 W, a cent), so a flat line is not magnified."""
        self._min_span = span

    def set_y_floor(self, value: float | None) -> None:
        """The lowest y shown (e.g. 0 W); the top follows the data and the limit lines."""
        self._y_floor = value

    def set_note(self, note: str) -> None:
        """A small line under the legend ("VRAM temperature not reported by the driver")."""
        self.note.setText(note)
        self.note.setVisible(bool(note))

    # --- data ----------------------------------------------------------------------

    def set_series(self, key: str, x: np.ndarray, y: np.ndarray) -> None:
        entry = self._curves[key]
        curve = entry.curve
        if len(x) == 0 or not np.isfinite(y).any():
            curve.setData([], [])
            curve.hide()
        else:
            dense = len(x) > DENSE_POINTS
            if dense != entry.dense:
                entry.dense = dense
                self._style_curve(key)
            finite = bool(np.isfinite(y).all())  # gaps only where a reading is missing
            curve.setData(x, y, connect="all" if finite else "finite", skipFiniteCheck=finite)
            curve.show()
        self._update_header()

    def set_limit(self, key: str, value: float | None) -> None:
        limit = self._limits[key]
        limit.value = value
        if value is None:
            limit.line.hide()
        else:
            limit.line.setValue(value)
            limit.line.show()
        self._update_header()

    def visible_series(self) -> list[str]:
        return [k for k, s in self._curves.items() if s.curve.isVisible()]

    def limit(self, key: str) -> float | None:
        """The value of a limit line, None while it is hidden (for tests)."""
        return self._limits[key].value

    def points(self, key: str) -> int:
        """How many points a curve holds (tests and the perf probe read it)."""
        x, _ = self._curves[key].curve.getOriginalDataset()
        return 0 if x is None else len(x)

    def set_window(self, start: float, end: float) -> None:
        """Show ``[start, end]`` on the time axis and fit y to the visible data and limits."""
        item = self.plot.getPlotItem()
        item.setXRange(start, end, padding=0)
        lo, hi = math.inf, -math.inf
        for entry in self._curves.values():
            curve = entry.curve
            if not curve.isVisible():
                continue
            x, y = curve.getOriginalDataset()
            if x is None or len(x) == 0:
                continue
            first, last = np.searchsorted(x, (start, end), side="left")
            visible = y[first : last + 1]
            if len(visible) and np.isfinite(visible).any():
                lo = min(lo, float(np.nanmin(visible)))
                hi = max(hi, float(np.nanmax(visible)))
        for limit in self._limits.values():
            if limit.value is not None:
                hi = max(hi, limit.value)
                lo = min(lo, limit.value)
        if not math.isfinite(lo):
            lo, hi = 0.0, 1.0
        if self._y_floor is not None:
            lo = min(self._y_floor, lo)
        span = max(hi - lo, self._min_span)
        item.setYRange(lo - span * 0.04, hi + span * 0.06, padding=0)

    # --- theme ---------------------------------------------------------------------

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.plot.setBackground(theme.card)
        self.setStyleSheet(
            f"QWidget#chart {{ background: {theme.card}; border: 1px solid {theme.grid};"
            " border-radius: 8px; }"
        )
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        item = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(theme.grid))
            axis.setTextPen(pg.mkPen(theme.muted))
        for key in self._curves:
            self._style_curve(key)
        for key in self._limits:
            self._style_limit(key)
        self._update_header()

    def _colour(self, entry: _Series) -> str:
        return self._theme.series[entry.colour % len(self._theme.series)]

    def _style_curve(self, key: str) -> None:
        entry = self._curves[key]
        # Thin lines for dense data: a day of noisy samples drawn 2 px wide is a blob, and
        # wide lines cost pyqtgraph twice the drawing time.
        pen = pg.mkPen(self._colour(entry), width=1 if entry.dense else 2)
        if entry.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        entry.curve.setPen(pen)

    def _limit_colour(self, limit: _Limit) -> str:
        return self._theme.soft_limit if limit.kind == "soft" else self._theme.hard_limit

    def _style_limit(self, key: str) -> None:
        limit = self._limits[key]
        pen = QPen(QColor(self._limit_colour(limit)))
        pen.setWidthF(1.5)
        dots = limit.kind == "hard-dotted"
        pen.setStyle(Qt.PenStyle.DashDotLine if dots else Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        limit.line.setPen(pen)

    def _update_header(self) -> None:
        """Title, then a swatch and a name per visible curve and limit (the legend)."""
        t = self._theme
        parts = [
            f"<span style='color:{t.text}; font-weight:600'>{self._title}</span>"
            f"<span style='color:{t.muted}'> ({self._unit})</span>"
        ]
        for entry in sorted(self._curves.values(), key=lambda e: e.dashed):  # dashed last
            if entry.curve.isVisible():
                mark = "╍╍" if entry.dashed else "━━"
                parts.append(
                    f"<span style='color:{self._colour(entry)}'>{mark}</span>"
                    f"<span style='color:{t.text}'>&nbsp;{entry.label}</span>"
                )
        for limit in self._limits.values():
            if limit.value is not None:
                name = f"{limit.label} {limit.value:.0f} {self._unit}"
                mark = "-·-" if limit.kind == "hard-dotted" else "╍╍"
                parts.append(
                    f"<span style='color:{self._limit_colour(limit)}'>{mark}</span>"
                    f"<span style='color:{t.text}'>&nbsp;{name}</span>"
                )
        self.header.setText("&nbsp;&nbsp;&nbsp;".join(parts))
