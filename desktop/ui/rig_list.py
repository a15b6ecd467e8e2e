"""The rig list (a panel beside the dashboard) and the "Add a rig" dialog.

One row per rig: its name, its state in a word (the tray's icon beside it), the hottest
GPU and today's net, each from that rig's own status (desktop/views/fleet.py). Selecting a
row shows that rig's dashboard. Adding a rig asks for ``user@host`` and says, before
anything is tried, what RigPilot will do with it: log in with the user's SSH keys, open no
port on the rig, and never accept an unknown host key by itself.

Signals (RigList):
    selected(str): the user chose a rig ("" = this computer).
    add_requested(): "Add a rig…" was pressed.
    remove_requested(str): "Remove" was pressed on a remote rig.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui import icons
from desktop.views.fleet import RigRow

COLUMNS = ["Rig", "State", "Hottest", "Today (net)"]
MIN_WIDTH = 320  # the four columns, no wider: the cards beside need the room
ADD_HELP = (
    "The address of a computer where RigPilot's worker runs: <b>user@host</b>, or a Host "
    "alias from your ~/.ssh/config.<br>RigPilot logs in with your SSH keys (no passwords) "
    "and reaches the worker through SSH's socket forwarding: no port is opened on the rig. "
    "A host key it does not know yet is never accepted silently: connect once with "
    "<tt>ssh user@host</tt> in a terminal first."
)


class RigList(QWidget):
    selected = Signal(str)
    add_requested = Signal()
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Rigs")
        self.tree.setUniformRowHeights(True)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.add_button = QPushButton("&Add a rig…")
        self.add_button.clicked.connect(self.add_requested)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._on_remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        self.setMinimumWidth(MIN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._current = ""

    def show_rows(self, rows: list[RigRow], current: str) -> None:
        """Render ``rows``; ``current`` is the rig on screen."""
        self._current = current
        self.tree.blockSignals(True)
        while self.tree.topLevelItemCount() > len(rows):
            self.tree.takeTopLevelItem(self.tree.topLevelItemCount() - 1)
        for index, row in enumerate(rows):
            item = self.tree.topLevelItem(index) or QTreeWidgetItem(self.tree)
            for column, text in enumerate((row.name, row.state_text, row.hottest, row.today_net)):
                item.setText(column, text)
                item.setToolTip(column, row.detail)
            item.setIcon(1, icons.state_icon(row.state))
            item.setData(0, Qt.ItemDataRole.UserRole, row.address)
            item.setSelected(row.address == current)
        self.tree.blockSignals(False)
        self.remove_button.setEnabled(bool(current))
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)

    def row_texts(self) -> list[list[str]]:
        """What the list shows, row by row (for tests and accessibility checks)."""
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [[item.text(c) for c in range(len(COLUMNS))] for item in items if item]

    def select(self, address: str) -> None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == address:
                self.tree.setCurrentItem(item)
                return

    def _on_selection(self) -> None:
        items = self.tree.selectedItems()
        if not items:
            return
        address = str(items[0].data(0, Qt.ItemDataRole.UserRole) or "")
        self.remove_button.setEnabled(bool(address))
        if address != self._current:
            self._current = address
            self.selected.emit(address)

    def _on_remove(self) -> None:
        if self._current:
            self.remove_requested.emit(self._current)


class AddRigDialog(QDialog):
    """Asks for a rig's address; ``check(text)`` returns "" or why it is not one."""

    def __init__(self, check: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a rig")
        self._check = check
        self.address = QLineEdit()
        self.address.setPlaceholderText("user@host")
        self.address.setAccessibleName("Rig address")
        help_text = QLabel(ADD_HELP)
        help_text.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Add")
        buttons.accepted.connect(self._on_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(help_text)
        layout.addWidget(self.address)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def _on_accept(self) -> None:
        problem = self._check(self.address.text())
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        self.accept()
