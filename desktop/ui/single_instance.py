"""One app per RIGPILOT_HOME: a second launch asks the first to show its window, then exits.

A QLockFile decides who is first (it notices a crashed owner by its pid, so a stale lock
never blocks the app); the first listens on a QLocalServer in the 0700 runtime folder
(a named pipe on Windows), the second connects and sends ``show``. Using the lock rather
than "connect, else listen" avoids two simultaneous launches both becoming the first.

Signals:
    activated(): another launch asked this app to come to the front.
"""

from __future__ import annotations

import hashlib
import sys

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop.paths import Paths

MESSAGE = b"show\n"
REPLY = b"ok\n"


def server_name(paths: Paths) -> str:
    if sys.platform == "win32":
        digest = hashlib.sha1(str(paths.config_dir).encode()).hexdigest()[:12]
        return f"rigpilot-gui-{digest}"
    return str(paths.runtime_dir / "gui.sock")


class SingleInstance(QObject):
    activated = Signal()

    def __init__(self, paths: Paths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        paths.ensure()
        self.name = server_name(paths)
        self._lock = QLockFile(str(paths.runtime_dir / "gui.lock"))
        self._lock.setStaleLockTime(0)  # stale only when the owner's pid is gone
        self._server: QLocalServer | None = None
        self._clients: list[QLocalSocket] = []

    def acquire(self) -> bool:
        """True when this process is the app's only instance (and now listens)."""
        if not self._lock.tryLock(0):
            return False
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            return True  # still the only instance; a second launch just cannot reach it
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def notify_first(self, timeout_ms: int = 3000) -> bool:
        """Ask the running instance to show its window; True when it answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(MESSAGE)
        socket.waitForBytesWritten(timeout_ms)
        answered = socket.waitForReadyRead(timeout_ms) and bytes(socket.readAll().data()) == REPLY
        socket.disconnectFromServer()
        return answered

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _on_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._clients.append(socket)
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _on_ready(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(MESSAGE.strip()):
            socket.write(REPLY)
            socket.flush()
            self.activated.emit()

    def _forget(self, socket: QLocalSocket) -> None:
        if socket in self._clients:
            self._clients.remove(socket)
        socket.deleteLater()
