"""Small cards with one big number each: temperature, power, today's money, jobs, network...

A card is a title, a value and a note line; the dashboard only calls ``set``. Each card has
an accessible name that includes its value, so a screen reader reads "Temperature 74 °C".
"""

from __future__ import annotations

from PySide6.QtCore import Qt
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


class Card(QFrame):
    """Title, big value, small note."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self._title = QLabel(title)
        self._title.setObjectName("cardTitle")
        self.value = QLabel("–")
        self.value.setObjectName("cardValue")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel("")
        self.note.setObjectName("cardNote")
        self.note.setWordWrap(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self._title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(130)
        self.setAccessibleName(title)

    def set(self, value: str, note: str = "", tooltip: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)
        self.setToolTip(tooltip or note)
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
            layout.addWidget(card)

    def set(self, key: str, value: str, note: str = "", tooltip: str = "") -> None:
        self.cards[key].set(value, note, tooltip)
