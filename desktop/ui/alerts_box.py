"""The Settings page's "Phone alerts" box: the ntfy topic (into the keyring) and a test.

Why a box of its own and not a setting: the topic is a secret, so it never comes back
from the worker (the box only says whether one is kept) and is not part of the settings
patch; it goes through ``POST /alerts/ntfy``. *Send a test* asks the worker to push a test
to every destination now (``POST /alerts/test``) and shows what each one answered, so the
user learns at once whether the phone will ring when a card is in trouble.

Signals:
    tested(list): the worker's deliveries of a test (each with ok and detail).
    failed(str): the worker refused or could not (no destination, no keyring...).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller
from desktop.ipc.schema_fleet import AlertsAnswer, AlertTestAnswer, TopicRequest
from desktop.ui import tasks
from desktop.ui.wizard.base import error_colour, muted_label, wrapped
from desktop.wizard.client_port import as_port_error

Runner = Callable[..., None]


class AlertsBox(QGroupBox):
    tested = Signal(list)
    failed = Signal(str)

    def __init__(self, client: Caller, run: Runner = tasks.run_in_background) -> None:
        super().__init__("Phone alerts")
        self.client, self._run = client, run
        self.where = muted_label("")
        self.topic = QLineEdit()
        self.topic.setEchoMode(QLineEdit.EchoMode.Password)
        self.topic.setPlaceholderText("ntfy topic (the one you subscribed to in the ntfy app)")
        self.topic.setAccessibleName("ntfy topic")
        self.keep_button = QPushButton("&Keep topic")
        self.keep_button.clicked.connect(self.keep_topic)
        self.forget_button = QPushButton("&Forget topic")
        self.forget_button.clicked.connect(self.forget_topic)
        self.test_button = QPushButton("Send a &test")
        self.test_button.setToolTip("Push a test alert to every destination now")
        self.test_button.clicked.connect(self.send_test)
        self.result = wrapped(selectable=True)
        row = QHBoxLayout()
        row.addWidget(self.topic, 1)
        row.addWidget(self.keep_button)
        row.addWidget(self.forget_button)
        layout = QVBoxLayout(self)
        layout.addWidget(
            muted_label(
                "RigPilot pushes an alert on an emergency stop, a lost GPU, a network failing "
                "for a while, and a restart after a crash: to the ntfy app on your phone (the "
                "topic stays in your keyring) and to the webhook above."
            )
        )
        layout.addLayout(row)
        layout.addWidget(self.where)
        buttons = QHBoxLayout()
        buttons.addWidget(self.result, 1)
        buttons.addWidget(self.test_button)
        layout.addLayout(buttons)

    def reload(self) -> None:
        self._run(lambda: self.client.call(endpoints.ALERTS), self._show, self._fail)

    def _show(self, answer: AlertsAnswer) -> None:
        where = "; ".join(answer.destinations) or "nowhere yet: keep a topic, or set a webhook"
        topic = "a topic is kept in your keyring" if answer.ntfy_topic_set else "no topic"
        self.where.setText(f"Alerts go to: {where} ({topic}).")
        self.forget_button.setEnabled(answer.ntfy_topic_set)

    def keep_topic(self) -> None:
        topic = self.topic.text().strip()
        if not topic:
            self._fail_text("Type the ntfy topic first.")
            return
        self._set(topic)

    def forget_topic(self) -> None:
        self._set(None)

    def _set(self, topic: str | None) -> None:
        def done(answer: AlertsAnswer) -> None:
            self.topic.clear()
            self.result.setStyleSheet("")
            self.result.setText("Kept in your keyring." if topic else "The topic is forgotten.")
            self._show(answer)

        request = TopicRequest(topic=topic)
        self._run(lambda: self.client.call(endpoints.SET_NTFY_TOPIC, request), done, self._fail)

    def send_test(self) -> None:
        self.test_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText("Sending a test…")
        self._run(lambda: self.client.call(endpoints.TEST_ALERTS), self._tested, self._fail)

    def _tested(self, answer: AlertTestAnswer) -> None:
        self.test_button.setEnabled(True)
        lines = [
            f"Sent: {d.destination}" if d.ok else f"Not sent: {d.destination} ({d.detail})"
            for d in answer.deliveries
        ]
        ok = all(d.ok for d in answer.deliveries)
        self.result.setStyleSheet("" if ok else f"color: {error_colour(self)};")
        self.result.setText("\n".join(lines))
        self.tested.emit(list(answer.deliveries))

    def _fail(self, exc: Exception) -> None:
        self._fail_text(as_port_error(exc).message)

    def _fail_text(self, message: str) -> None:
        self.test_button.setEnabled(True)
        self.result.setStyleSheet(f"color: {error_colour(self)};")
        self.result.setText(message)
        self.failed.emit(message)
