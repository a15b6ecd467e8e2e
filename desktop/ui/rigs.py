"""The rigs the app knows: this computer and the remote rigs the user added, with their rows.

Each remote rig has one SSH route (desktop/ipc/remote.py), shared by every client made for
it: the dashboard's link when the rig is selected, and the list's own status poll (every
5 s, in the background) when it is not. The selected rig's row comes from the link's own
answers instead, so the list and the window's header never disagree about it. The list of
addresses lives in the app's preferences (ui.ini), one ``user@host`` each: no secret, and
no token (a rig's token is read over SSH and kept in memory only).

Signals:
    rows_changed(list[RigRow]): re-render the list.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from desktop import clock
from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller
from desktop.ipc.rig_address import RigAddressError, parse_rig
from desktop.ipc.schema import StatusAnswer
from desktop.paths import Paths
from desktop.ui import tasks
from desktop.ui.worker_link import close_quietly
from desktop.views.fleet import RigRow, rig_row

log = logging.getLogger(__name__)
PREFS_KEY = "rigs/addresses"
POLL_MS = 5000
ClientFactory = Callable[[], Caller]


class Rigs(QObject):
    rows_changed = Signal(object)

    def __init__(
        self,
        prefs: QSettings,
        paths: Paths,
        local_factory: ClientFactory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self._paths = paths
        self._local_factory = local_factory
        self.addresses: list[str] = _load(prefs)
        self.selected = ""
        self._routes: dict[str, Any] = {}
        self._pollers: dict[str, Caller] = {}
        self._status: dict[str, StatusAnswer] = {}
        self._errors: dict[str, str] = {}
        self._pending: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._timer.start()
        self.poll()

    # --- the list ------------------------------------------------------------------

    def add(self, text: str) -> str:
        """Add a rig (kept in the preferences) and return its address; ``RigAddressError``
        when ``text`` is not one."""
        address = parse_rig(text).text
        if address not in self.addresses:
            self.addresses.append(address)
            self._save()
        self.poll()
        return address

    def remove(self, address: str) -> None:
        if address not in self.addresses:
            return
        self.addresses.remove(address)
        self._save()
        route = self._routes.pop(address, None)
        close_quietly(self._pollers.pop(address, None))
        self._status.pop(address, None)
        self._errors.pop(address, None)
        if route is not None:
            tasks.run_in_background(route.close)
        self._emit()

    def factory(self, address: str) -> ClientFactory:
        """Clients of ``address``'s worker ("" = this computer's), all over one tunnel."""
        if not address:
            return self._local_factory
        from desktop.ipc.remote import SshRoute, rig_client  # ssh only when a rig is used

        route = self._routes.get(address)
        if route is None:
            route = self._routes[address] = SshRoute(parse_rig(address), self._paths)
        return lambda: rig_client(address, paths=self._paths, route=route)

    def rows(self) -> list[RigRow]:
        now = clock.now()
        return [
            rig_row(a, self._status.get(a), now, self._errors.get(a, ""))
            for a in ["", *self.addresses]
        ]

    # --- what each rig says ---------------------------------------------------------------

    def poll(self) -> None:
        """Ask every rig but the selected one for its status (the link asks that one)."""
        for address in ["", *self.addresses]:
            if address == self.selected or address in self._pending:
                continue
            poller = self._pollers.get(address)
            if poller is None:
                poller = self._pollers[address] = self.factory(address)()
            self._pending.add(address)
            tasks.run_in_background(
                _status_of(poller), self._answered(address), self._failed(address)
            )

    def _answered(self, address: str) -> Callable[[StatusAnswer], None]:
        def done(status: StatusAnswer) -> None:
            self._pending.discard(address)
            self.take_status(address, status)

        return done

    def _failed(self, address: str) -> Callable[[Exception], None]:
        def failed(exc: Exception) -> None:
            self._pending.discard(address)
            self.take_failure(address, str(getattr(exc, "message", "") or exc))

        return failed

    def take_status(self, address: str, status: StatusAnswer) -> None:
        """A fresh status of ``address`` (from the poll, or the link for the selected rig)."""
        self._status[address] = status
        self._errors.pop(address, None)
        self._emit()

    def take_failure(self, address: str, why: str) -> None:
        self._status.pop(address, None)
        self._errors[address] = why or "no answer"
        self._emit()

    def _emit(self) -> None:
        if shiboken6.isValid(self):  # a poll may answer after the app is gone
            self.rows_changed.emit(self.rows())

    def _save(self) -> None:
        self._prefs.setValue(PREFS_KEY, list(self.addresses))
        self._prefs.sync()

    def close(self) -> None:
        """Close every connection and tunnel (the app quits)."""
        self._timer.stop()
        for poller in self._pollers.values():
            close_quietly(poller)
        self._pollers.clear()
        for route in self._routes.values():
            with contextlib.suppress(Exception):
                route.close()
        self._routes.clear()


def _status_of(client: Caller) -> Callable[[], StatusAnswer]:
    return lambda: client.call(endpoints.STATUS)


def _load(prefs: QSettings) -> list[str]:
    """The saved addresses; one that no longer parses is dropped with a log line."""
    raw = prefs.value(PREFS_KEY, [])
    values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    addresses: list[str] = []
    for value in values:
        try:
            address = parse_rig(str(value)).text
        except RigAddressError as exc:
            log.warning("ignoring a saved rig: %s", exc)
            continue
        if address not in addresses:
            addresses.append(address)
    return addresses
