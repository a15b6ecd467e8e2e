"""Which rig the window shows: the rig list's choice, carried to every view.

Selecting a rig points the one ``WorkerLink`` at that rig's worker (``link.switch``): the
dashboard, jobs, events, strip and tray then show that rig, and pause/resume (the strip,
Ctrl+P, the tray) act on it. The Networks and Settings tabs talk through ``SelectedRig``,
which forwards each call to the rig on screen. The setup wizard checks *this* computer, so
it is disabled while a remote rig is shown (its tooltip says how to check a rig).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow

from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller, Endpoint
from desktop.ipc.rig_address import RigAddressError, parse_rig
from desktop.ipc.schema import Answer, StatusAnswer
from desktop.ui.rig_list import AddRigDialog, RigList
from desktop.ui.rigs import Rigs
from desktop.ui.worker_link import WorkerLink, close_quietly

Q = TypeVar("Q")
A = TypeVar("A", bound=Answer)
WIZARD_REMOTE_TIP = (
    "The setup wizard checks this computer. To check a rig, run `ssh user@host rigpilot "
    "doctor` in a terminal."
)


class SelectedRig:
    """A ``Caller`` that forwards to the client of the rig on screen (the pages use it)."""

    def __init__(self, client: Caller) -> None:
        self.client = client

    def call(self, endpoint: Endpoint[Q, A], request: Q | None = None) -> A:
        return self.client.call(endpoint, request)


class RigSwitch(QObject):
    """Signals: changed(str): the window now shows this rig ("" = this computer)."""

    changed = Signal(str)

    def __init__(
        self, rigs: Rigs, link: WorkerLink, window: QMainWindow, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.rigs = rigs
        self.link = link
        self.window = window
        self.pages_client: SelectedRig | None = None
        self.wizard_action: Any = None
        self.list = RigList()
        self.dock = QDockWidget("Rigs", window)
        self.dock.setObjectName("rigsDock")
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.dock.setWidget(self.list)
        window.addDockWidget(self._left(), self.dock)
        self.dialog: AddRigDialog | None = None
        rigs.rows_changed.connect(lambda rows: self.list.show_rows(rows, rigs.selected))
        self.list.selected.connect(self.select)
        self.list.add_requested.connect(self.ask_for_rig)
        self.list.remove_requested.connect(self.remove)
        link.status_changed.connect(self._on_link_status)
        link.worker_lost.connect(lambda why: rigs.take_failure(rigs.selected, why))
        self.list.show_rows(rigs.rows(), "")

    @staticmethod
    def _left() -> Any:
        from PySide6.QtCore import Qt

        return Qt.DockWidgetArea.LeftDockWidgetArea

    @property
    def selected(self) -> str:
        return self.rigs.selected

    def select(self, address: str) -> None:
        """Show ``address``'s rig ("" = this computer) in the whole window."""
        if address == self.rigs.selected:
            return
        self.rigs.selected = address
        factory = self.rigs.factory(address)
        if self.pages_client is not None:
            previous, self.pages_client.client = self.pages_client.client, factory()
            close_quietly(previous)  # its connection (a rig's tunnel socket) is not left to the GC
        if self.wizard_action is not None:
            self.wizard_action.setEnabled(not address)
            self.wizard_action.setToolTip(WIZARD_REMOTE_TIP if address else "")
        self.link.switch(factory)
        self.list.show_rows(self.rigs.rows(), address)
        self.list.select(address)
        self.changed.emit(address)
        self.rigs.poll()  # the rig left behind goes back to the list's own poll

    def close(self) -> None:
        """Close the pages' connection (the app quits; the link and the rigs close theirs)."""
        if self.pages_client is not None:
            close_quietly(self.pages_client.client)

    def add(self, text: str) -> str:
        """Add a rig and show it; ``RigAddressError`` when ``text`` is not an address."""
        address = self.rigs.add(text)
        self.select(address)
        return address

    def remove(self, address: str) -> None:
        if address == self.rigs.selected:
            self.select("")
        self.rigs.remove(address)

    def ask_for_rig(self) -> AddRigDialog:
        """Open the "Add a rig" dialog (window-modal, not blocking)."""
        dialog = AddRigDialog(_problem_with, self.window)
        dialog.accepted.connect(lambda: self.add(dialog.address.text()))
        dialog.open()
        self.dialog = dialog
        return dialog

    def _on_link_status(self, status: StatusAnswer) -> None:
        self.rigs.take_status(self.rigs.selected, status)


def _problem_with(text: str) -> str:
    try:
        parse_rig(text)
    except RigAddressError as exc:
        return str(exc)
    return ""


def rig_starter(switch: RigSwitch, local: Callable[[], Any]) -> Callable[[], Any]:
    """The controller's "Start worker": start this computer's, or reconnect to the rig's
    (a rig's worker is started on the rig; the failure's message says how)."""

    def start() -> Any:
        address = switch.selected
        if not address:
            return local()
        client = switch.rigs.factory(address)()
        client.call(endpoints.STATUS)
        return client

    return start
