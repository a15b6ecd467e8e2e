"""The strip at the top of the window: the rig's state in one sentence, and the main button.

The sentence comes from ``desktop.views.rig.describe`` ("Earning on Practice network · 74 °C",
"Paused by you until 21:00", "Hot: power limit lowered to 220 W (GPU at 82 °C)"); the icon
is the tray's, so the window and the tray always agree. The button pauses or resumes
everything; "Start worker" appears only when the worker is gone.

Signals:
    pause_requested(): the user pressed "Pause all".
    resume_requested(): the user pressed "Resume".
    start_worker_requested(): the user pressed "Start worker".
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.ui import icons
from desktop.views.rig import Headline, RigState
from desktop.views.text import plain


class StatusStrip(QFrame):
    pause_requested = Signal()
    resume_requested = Signal()
    start_worker_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusStrip")
        self.headline = Headline(RigState.IDLE, "Starting…")
        self._paused = False
        self._icon = QLabel()
        self._icon.setFixedSize(QSize(28, 28))
        self.text = QLabel()
        self.text.setObjectName("statusText")
        self.text.setWordWrap(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.detail = QLabel()
        self.detail.setObjectName("muted")
        self.detail.setWordWrap(True)
        self.start_button = QPushButton("&Start worker")
        self.start_button.clicked.connect(self.start_worker_requested)
        self.start_button.hide()
        self.pause_button = QPushButton("&Pause all")
        self.pause_button.setMinimumWidth(120)
        self.pause_button.clicked.connect(self._on_button)
        text_box = QWidget()
        column = QVBoxLayout(text_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.text)
        column.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(12)
        layout.addWidget(self._icon)
        layout.addWidget(text_box, 1)
        layout.addWidget(self.start_button)
        layout.addWidget(self.pause_button)
        self.show_headline(self.headline, paused=False, connected=False)

    @property
    def paused(self) -> bool:
        return self._paused

    def show_headline(
        self, headline: Headline, *, paused: bool, connected: bool, has_gpus: bool = True
    ) -> None:
        """Show a headline; ``paused`` picks the button ("Resume" when the user paused);
        without a GPU there is nothing to pause, and the button says so by being off."""
        self.headline = headline
        self._paused = paused
        self.text.setText(plain(headline.text))
        self.detail.setText(plain(headline.detail))
        self.detail.setVisible(bool(headline.detail))
        self._icon.setPixmap(icons.state_icon(headline.state).pixmap(QSize(28, 28)))
        self._icon.setToolTip(headline.state.value.capitalize())
        self.setAccessibleName(f"Status: {headline.text}")
        self.pause_button.setText("&Resume" if paused else "&Pause all")
        self.pause_button.setToolTip(
            "Resume work (Ctrl+P)" if paused else "Pause all work (Ctrl+P)"
        )
        self.pause_button.setEnabled(connected and (has_gpus or paused))
        self.start_button.setVisible(not connected and headline.state == RigState.ERROR)

    def _on_button(self) -> None:
        if self._paused:
            self.resume_requested.emit()
        else:
            self.pause_requested.emit()
