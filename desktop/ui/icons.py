"""The app's SVG icons: the app icon and one tray icon per rig state.

QIcon renders an SVG at the size asked for, so icons stay sharp on high-DPI screens. The
tray icons differ by shape as well as colour (triangle, two bars, flame, cross, ring) so
that colour-blind users and monochrome trays still tell the states apart.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from desktop.views.rig import RigState

_FALLBACK_COLOURS = {
    RigState.EARNING: "#2fbf71",
    RigState.PAUSED: "#f5a623",
    RigState.HOT: "#ff5a1f",
    RigState.ERROR: "#e5383b",
    RigState.IDLE: "#9aa3b2",
}


def resources_dir() -> Path:
    """``resources/``: next to the package in a checkout, in ``_MEIPASS`` when frozen."""
    override = os.environ.get("RIGPILOT_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def _svg(name: str) -> Path:
    return resources_dir() / "icons" / f"{name}.svg"


def _drawn(colour: str) -> QIcon:
    """A plain disc, only when the SVG files are missing (a broken install must still run)."""
    pix = QPixmap(64, 64)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(6, 6, 52, 52)
    painter.end()
    return QIcon(pix)


@cache
def app_icon() -> QIcon:
    path = _svg("rigpilot")
    return QIcon(str(path)) if path.exists() else _drawn("#2f7dff")


@cache
def state_icon(state: RigState) -> QIcon:
    path = _svg(f"tray-{state.value}")
    return QIcon(str(path)) if path.exists() else _drawn(_FALLBACK_COLOURS[state])
