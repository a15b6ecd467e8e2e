"""The first-run wizard's Qt pages over the Qt-free flow in ``desktop.wizard``.

``open_wizard(parent, client)`` is what the Setup wizard button (and the first start) calls.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desktop.ipc.endpoints import Caller
from desktop.ui.wizard.dialog import WizardDialog
from desktop.wizard.client_port import ClientPort

__all__ = ["WizardDialog", "open_wizard"]


def open_wizard(parent: QWidget | None, client: Caller) -> WizardDialog:
    """Open the setup wizard over ``client`` (a WorkerClient), window-modal, and return it."""
    dialog = WizardDialog(ClientPort(client), parent)
    dialog.open()
    return dialog
