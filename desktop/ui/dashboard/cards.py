"""Small cards with one big number each: temperature, power, today's money, jobs, network...

A card is a title, a value and a note line; the dashboard only calls ``set``. Each card has
an accessible name that includes its value, so a screen reader reads "Temperature 74 °C".
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

CARDS = (
    ("temperature", "Temperature"),
    ("power", "Power"),
    ("today", "Earned today"),
    ("jobs", "Jobs running"),
    ("network", "Network"),
    ("reputation", "Reputation"),
    ("uptime", "Uptime"),
)


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when its card is too narrow (full text in tooltip).

    Plain QLabels ask for their full text width, which let one long value widen its card
    and squeeze the others until their notes were cut mid-word.
    """

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(1)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment()), shown)
        painter.end()


class Card(QFrame):
    """Title, big value, small note."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self._title = ElidedLabel(title)
        self._title.setObjectName("cardTitle")
        self.value = ElidedLabel("–")
        self.value.setObjectName("cardValue")
        self.note = ElidedLabel("")
        self.note.setObjectName("cardNote")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self._title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(110)
        self.setAccessibleName(title)

    def set(self, value: str, note: str = "", tooltip: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)
        self.setToolTip(
            "\n".join(t for t in (f"{self._title.text()}: {value}", note, tooltip) if t)
        )
        self.setAccessibleName(f"{self._title.text()} {value}")
        self.setAccessibleDescription(note)


class CardRow(QWidget):
    """The row of cards at the top of the dashboard, addressed by key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.cards: dict[str, Card] = {}
        for key, title in CARDS:
            card = Card(title)
            self.cards[key] = card
            layout.addWidget(card, 1)  # equal widths, whatever the text

    def set(self, key: str, value: str, note: str = "", tooltip: str = "") -> None:
        self.cards[key].set(value, note, tooltip)
