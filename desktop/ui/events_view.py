"""The events page: what the worker did and why, newest first, filterable by severity.

Fed by the link: the recent history once after connecting, then each live event. Capped at
``MAX_EVENTS`` rows so a week-long session does not grow the app's memory.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.model import Event
from desktop.ui.table_model import Index, RowsModel
from desktop.ui.theme import Theme
from desktop.views.text import event_topic, plain, stamp

MAX_EVENTS = 2000
COLUMNS = ("Time", "Severity", "What", "Message")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}
FILTERS = (("All events", 0), ("Warnings and errors", 1), ("Errors only", 2))


class EventsModel(RowsModel):
    """Events, newest first, one per ``seq``."""

    columns = COLUMNS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.events: list[Event] = []
        self._seen: set[int] = set()
        self.colours: dict[str, str] = {}

    def add(self, events: list[Event]) -> None:
        fresh = [e for e in events if e.seq not in self._seen or not e.seq]
        if not fresh:
            return
        self.beginResetModel()
        self.events = sorted(fresh + self.events, key=lambda e: (e.ts, e.seq), reverse=True)[
            :MAX_EVENTS
        ]
        self._seen = {e.seq for e in self.events}
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self.events, self._seen = [], set()
        self.endResetModel()

    def rows(self) -> list[Event]:
        return self.events

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self.events[index.row()]
        severity = event.severity.value
        if role == Qt.ItemDataRole.DisplayRole:
            what, message = event_topic(event.kind), plain(event.message)
            return (stamp(event.ts), severity.capitalize(), what, message)[index.column()]
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and index.column() == 1
            and severity in self.colours
        ):
            return QColor(self.colours[severity])
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return plain(event.message)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return event.kind  # the exact kind, for a support question
        if role == Qt.ItemDataRole.UserRole:
            return SEVERITY_RANK.get(severity, 0)
        return None


class SeverityFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.minimum = 0

    def set_minimum(self, rank: int) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+
            self.beginFilterChange()
            self.minimum = rank
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.minimum = rank
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802
        index = self.sourceModel().index(row, 0, parent)
        return int(self.sourceModel().data(index, Qt.ItemDataRole.UserRole) or 0) >= self.minimum


class EventsView(QWidget):
    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EventsModel(self)
        self.proxy = SeverityFilter(self)
        self.proxy.setSourceModel(self.model)
        self.filter = QComboBox()
        for title, rank in FILTERS:
            self.filter.addItem(title, rank)
        self.filter.currentIndexChanged.connect(
            lambda i: self.proxy.set_minimum(int(self.filter.itemData(i)))
        )
        show = QLabel("&Show:")
        show.setBuddy(self.filter)
        self.count = QLabel()
        self.count.setObjectName("muted")
        bar = QHBoxLayout()
        bar.addWidget(show)
        bar.addWidget(self.filter)
        bar.addStretch(1)
        bar.addWidget(self.count)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Events")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.apply_theme(theme)
        self._update_count()

    def apply_theme(self, theme: Theme) -> None:
        self.model.colours = {
            "warning": theme.soft_limit,
            "error": theme.hard_limit,
            "critical": theme.hard_limit,
        }

    def add_events(self, events: list[Event]) -> None:
        self.model.add(events)
        self._update_count()

    def add_event(self, event: Event) -> None:
        self.add_events([event])

    def clear(self) -> None:
        """Forget the events shown (another rig is on screen)."""
        self.model.clear()
        self._update_count()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count.setText("No events yet" if n == 0 else f"{n} events")
