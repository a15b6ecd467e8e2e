"""Dark and light palettes that follow the OS, with a setting override (``ui.theme``).

Fusion plus an explicit QPalette looks the same on Windows, macOS and every Linux desktop,
so the screenshots in the README are what users get. The OS preference comes from
``QStyleHints.colorScheme()`` (Qt 6.5+); when the platform does not say (plain X11), the
current window colour decides. Charts take their colours from ``Theme`` too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop.views.rig import RigState

CHOICES = ("system", "dark", "light")


@dataclass(frozen=True)
class Theme:
    """Colours for one theme. ``series`` are chart curve colours, distinct in both themes."""

    name: str
    window: str
    base: str
    card: str
    text: str
    muted: str
    accent: str
    grid: str
    series: tuple[str, ...]
    soft_limit: str
    hard_limit: str
    states: dict[RigState, str]

    @property
    def dark(self) -> bool:
        return self.name == "dark"


DARK = Theme(
    name="dark",
    window="#1b1e24",
    base="#14161b",
    card="#23272f",
    text="#e6e8ec",
    muted="#9aa3b2",
    accent="#4c9aff",
    grid="#3a404c",
    series=("#4c9aff", "#f5a623", "#3ecf8e", "#c77dff", "#ff6b6b", "#2ec4d6"),
    soft_limit="#f5a623",
    hard_limit="#ff5c5c",
    states={
        RigState.EARNING: "#3ecf8e",
        RigState.PAUSED: "#f5a623",
        RigState.HOT: "#ff7043",
        RigState.ERROR: "#ff5c5c",
        RigState.IDLE: "#9aa3b2",
    },
)

LIGHT = Theme(
    name="light",
    window="#f4f5f7",
    base="#ffffff",
    card="#ffffff",
    text="#1d2330",
    muted="#5d6677",
    accent="#1f6feb",
    grid="#d5d9e0",
    series=("#1f6feb", "#d9822b", "#1a9b62", "#8a4fd6", "#d64545", "#138a99"),
    soft_limit="#d9822b",
    hard_limit="#d64545",
    states={
        RigState.EARNING: "#1a9b62",
        RigState.PAUSED: "#c77a00",
        RigState.HOT: "#e0531f",
        RigState.ERROR: "#d64545",
        RigState.IDLE: "#6b7280",
    },
)


_os_palette_dark: bool | None = None


def remember_os_palette(app: QGuiApplication) -> None:
    """Note whether the platform's own palette is dark, before ours replaces it."""
    global _os_palette_dark
    if _os_palette_dark is None:
        _os_palette_dark = app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def system_prefers_dark() -> bool:
    """The OS's preference; on platforms that do not report one, judge the OS palette."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    remember_os_palette(app)
    return bool(_os_palette_dark)


def resolve(choice: str) -> Theme:
    """The theme for a setting value; RIGPILOT_THEME (dark|light) wins, for screenshots."""
    forced = os.environ.get("RIGPILOT_THEME", "").strip().lower()
    if forced in ("dark", "light"):
        choice = forced
    if choice == "dark":
        return DARK
    if choice == "light":
        return LIGHT
    return DARK if system_prefers_dark() else LIGHT


def palette_for(theme: Theme) -> QPalette:
    pal = QPalette()
    window, base, text = QColor(theme.window), QColor(theme.base), QColor(theme.text)
    muted, accent = QColor(theme.muted), QColor(theme.accent)
    role = QPalette.ColorRole
    pal.setColor(role.Window, window)
    pal.setColor(role.WindowText, text)
    pal.setColor(role.Base, base)
    pal.setColor(role.AlternateBase, QColor(theme.card))
    pal.setColor(role.ToolTipBase, QColor(theme.card))
    pal.setColor(role.ToolTipText, text)
    pal.setColor(role.PlaceholderText, muted)
    pal.setColor(role.Text, text)
    pal.setColor(role.Button, QColor(theme.card))
    pal.setColor(role.ButtonText, text)
    pal.setColor(role.BrightText, QColor("#ffffff"))
    pal.setColor(role.Highlight, accent)
    pal.setColor(role.HighlightedText, QColor("#ffffff"))
    pal.setColor(role.Link, accent)
    pal.setColor(role.Mid, QColor(theme.grid))
    pal.setColor(role.Midlight, QColor(theme.grid))
    pal.setColor(role.Dark, QColor(theme.base))
    pal.setColor(role.Shadow, QColor("#000000"))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, muted)
    return pal


def stylesheet(theme: Theme) -> str:
    """The few things a palette cannot say: cards, the status strip, big numbers."""
    return f"""
QFrame#card {{ background: {theme.card}; border: 1px solid {theme.grid}; border-radius: 8px; }}
QLabel#cardTitle {{ color: {theme.muted}; font-size: 9pt; }}
QLabel#cardValue {{ font-size: 17pt; font-weight: 600; }}
QLabel#cardNote {{ color: {theme.muted}; font-size: 8.5pt; }}
QFrame#statusStrip {{ background: {theme.card}; border: 1px solid {theme.grid};
  border-radius: 8px; }}
QLabel#statusText {{ font-size: 12.5pt; font-weight: 600; }}
QLabel#muted, QLabel#emptyHint {{ color: {theme.muted}; }}
QLabel#emptyTitle {{ font-size: 14pt; font-weight: 600; color: {theme.muted}; }}
QTabWidget::pane {{ border: 0; border-top: 1px solid {theme.grid}; }}
QTabBar::tab {{ background: transparent; color: {theme.muted}; padding: 7px 16px;
  border: 0; border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {theme.text}; border-bottom: 2px solid {theme.accent}; }}
QTabBar::tab:hover {{ color: {theme.text}; }}
QToolButton:checked {{ background: {theme.accent}; color: #ffffff; border-radius: 4px; }}
QTableView {{ gridline-color: {theme.grid}; }}
"""


def apply(app: QApplication, theme: Theme) -> None:
    """Fusion + the palette + the stylesheet, app-wide."""
    app.setStyle("Fusion")
    app.setPalette(palette_for(theme))
    app.setStyleSheet(stylesheet(theme))
