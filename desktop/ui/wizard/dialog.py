"""The wizard window: a header, one page per flow step in a QStackedWidget, Back / Next.

The dialog holds the one ``WizardState``; pages render it and read inputs back; every
call that may block (the doctor, the worker's API) runs through ``tasks`` on a pool
thread and its result comes back on the GUI thread. One navigation call runs at a time
(the buttons are disabled meanwhile); the doctor runs beside it, and its results are
folded into whatever the state is when they arrive, so a slow GPU container test never
freezes the wizard.

Signals:
    state_changed(object): a new WizardState was rendered (tests wait on it).
    demo_requested(): "Try the demo" (the practice network's row, or the last page on a
        computer that cannot earn yet).
    checked(list): the doctor's results arrived (the Networks page judges with them too).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.ipc.schema_networks import NetworkRecord
from desktop.model import CheckResult
from desktop.ui import icons, tasks
from desktop.ui.wizard.base import WizardPage, muted_label
from desktop.ui.wizard.checks_page import ChecksPage
from desktop.ui.wizard.choose_page import ChoosePage
from desktop.ui.wizard.credentials_page import CredentialsPage
from desktop.ui.wizard.done_page import DonePage
from desktop.ui.wizard.simple_pages import (
    AutostartPage,
    DefaultsPage,
    ElectricityPage,
    WelcomePage,
)
from desktop.wizard import checks_step, flow, networks_step
from desktop.wizard.port import PortError, WizardPort
from desktop.wizard.state import Problem, Step, WizardState

Runner = Callable[..., None]

# The GUI half of the navmap: one page class per view of desktop.wizard.flow.NAVMAP.
PAGES: dict[Step, type[WizardPage]] = {
    Step.WELCOME: WelcomePage,
    Step.CHECKS: ChecksPage,
    Step.NETWORKS: ChoosePage,
    Step.CREDENTIALS: CredentialsPage,
    Step.DEFAULTS: DefaultsPage,
    Step.ELECTRICITY: ElectricityPage,
    Step.AUTOSTART: AutostartPage,
    Step.DONE: DonePage,
}
_CHECK_FIELDS = ("checks", "checks_ran", "checks_running", "checks_error")


class WizardDialog(QDialog):
    state_changed = Signal(object)
    demo_requested = Signal()
    checked = Signal(list)

    def __init__(
        self,
        port: WizardPort,
        parent: QWidget | None = None,
        run: Runner = tasks.run_in_background,
    ) -> None:
        super().__init__(parent)
        self.port = port
        self._run = run
        self.state = WizardState()
        self.busy = False
        self._closed = False
        self.setWindowTitle("RigPilot setup")
        self.setWindowIcon(icons.app_icon())
        self.setMinimumSize(QSize(720, 560))
        self.resize(QSize(820, 640))

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.counter = muted_label()
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.counter)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)

        self.stack = QStackedWidget()
        self.pages: dict[Step, WizardPage] = {}
        for step, page_class in PAGES.items():
            page = page_class()
            self.pages[step] = page
            self.stack.addWidget(page)
        self.checks_page = self.pages[Step.CHECKS]
        assert isinstance(self.checks_page, ChecksPage)
        self.checks_page.recheck_requested.connect(self.run_checks)
        choose = self.pages[Step.NETWORKS]
        assert isinstance(choose, ChoosePage)
        choose.choice_changed.connect(self._on_choice)
        choose.demo_requested.connect(self.demo_requested.emit)
        last = self.pages[Step.DONE]
        assert isinstance(last, DonePage)
        last.demo_requested.connect(self.demo_requested.emit)
        creds = self.pages[Step.CREDENTIALS]
        assert isinstance(creds, CredentialsPage)
        creds.skip_requested.connect(self._on_skip)

        self.busy_label = muted_label()
        self.back_button = QPushButton("&Back")
        self.next_button = QPushButton("&Next")
        self.next_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.back_button.clicked.connect(self._on_back)
        self.next_button.clicked.connect(self._on_next)
        self.cancel_button.clicked.connect(self.reject)
        footer = QHBoxLayout()
        footer.addWidget(self.busy_label, 1)
        footer.addWidget(self.cancel_button)
        footer.addWidget(self.back_button)
        footer.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(12)
        layout.addLayout(header)
        layout.addWidget(line)
        layout.addWidget(self.stack, 1)
        layout.addLayout(footer)
        self._render()
        self._navigate(lambda s: flow.load(s, self.port), "Asking RigPilot's worker…")

    # --- state and rendering ----------------------------------------------------------

    def page(self, step: Step) -> WizardPage:
        return self.pages[step]

    def set_state(self, state: WizardState) -> None:
        self.state = state
        self._render()

    def _render(self) -> None:
        if self._closed:
            return
        state = self.state
        page = self.pages[state.step]
        self.stack.setCurrentWidget(page)
        page.show_state(state)
        self.title.setText(flow.title(state))
        number, total = flow.position(state)
        self.counter.setText(f"Step {number} of {total}")
        last = flow.is_last(state)
        self.next_button.setText("&Finish" if last else "&Next")
        self.next_button.setEnabled(not self.busy)
        self.back_button.setEnabled(not self.busy and bool(state.history))
        self.cancel_button.setVisible(not last)
        if state.step is Step.CHECKS and not (
            state.checks_ran or state.checks_running or state.checks_error
        ):
            self.run_checks()
            return
        self.state_changed.emit(state)

    def _set_busy(self, text: str) -> None:
        self.busy = bool(text)
        self.busy_label.setText(text)

    # --- navigation -------------------------------------------------------------------

    def _navigate(self, change: Callable[[WizardState], WizardState], busy_text: str) -> None:
        """Run a (maybe blocking) flow function on the state, off the GUI thread."""
        if self.busy:
            return
        snapshot = self.state
        self._set_busy(busy_text)
        self._render()

        def done(new: WizardState) -> None:
            if self._closed:
                return
            current = self.state
            # The doctor may have reported meanwhile: its results win over the snapshot's.
            if any(getattr(current, f) != getattr(snapshot, f) for f in _CHECK_FIELDS):
                carried = {f: getattr(current, f) for f in _CHECK_FIELDS}
                new = networks_step.revalidate(dataclasses.replace(new, **carried))
            self._set_busy("")
            self.set_state(new)

        def failed(exc: Exception) -> None:
            if self._closed:
                return
            self._set_busy("")
            message = exc.message if isinstance(exc, PortError) else str(exc)
            self.set_state(dataclasses.replace(self.state, problem=Problem(message)))

        self._run(lambda: change(snapshot), done, failed)

    def _on_next(self) -> None:
        if self.busy:
            return
        if flow.is_last(self.state):
            self.accept()
            return
        state = self.pages[self.state.step].collect(self.state)
        problem = flow.blocker(state)
        if problem is not None:
            self.set_state(dataclasses.replace(state, problem=problem))
            return
        self.state = state
        text = {
            Step.CREDENTIALS: "Enrolling… (secrets go to your system keyring)",
            Step.CHECKS: "Loading the networks…",
        }.get(state.step, "Saving…")
        self._navigate(lambda s: flow.advance(s, self.port), text)

    def _on_back(self) -> None:
        if self.busy:
            return
        state = self.pages[self.state.step].collect(self.state)
        self.set_state(flow.back(state))

    def _on_choice(self, network: str, on: bool) -> None:
        self.set_state(networks_step.choose(self.state, network, on))

    def _on_skip(self) -> None:
        if not self.busy:
            self.set_state(flow.skip_network(self.state))

    # --- the doctor -------------------------------------------------------------------

    def run_checks(self) -> None:
        """Run the doctor: a quick pass first, then the GPU container test when it can run."""
        if self.state.checks_running or self._closed:
            return
        self.set_state(checks_step.started(self.state))
        self._run(
            lambda: self.port.run_checks(False),
            lambda results: self._on_checks(results, smoke=False),
            self._on_checks_failed,
        )

    def _on_checks(self, results: list[CheckResult], smoke: bool) -> None:
        if self._closed:
            return
        state = self.state
        if smoke:
            results = checks_step.merge(state.checks, results)
        state = networks_step.revalidate(checks_step.with_results(state, results))
        if not smoke and checks_step.wants_smoke(results):
            state = dataclasses.replace(state, checks_running=True)
            self._run(
                lambda: self.port.run_checks(True),
                lambda more: self._on_checks(more, smoke=True),
                self._on_checks_failed,
            )
        self.set_state(state)
        self.checked.emit(list(state.checks))
        self._refresh_networks()

    def _on_checks_failed(self, exc: Exception) -> None:
        if self._closed:
            return
        message = exc.message if isinstance(exc, PortError) else str(exc)
        if self.state.checks_ran:  # the smoke pass failed to run: keep the first results
            self.set_state(dataclasses.replace(self.state, checks_running=False))
            return
        self.set_state(checks_step.with_error(self.state, message))

    def _refresh_networks(self) -> None:
        """The worker's view of the requirements may have changed with the machine."""

        def done(records: list[NetworkRecord]) -> None:
            if not self._closed and not self.busy:
                self.set_state(
                    networks_step.revalidate(networks_step.with_networks(self.state, records))
                )

        self._run(self.port.networks, done, lambda _exc: None)
        choose = self.pages[Step.NETWORKS]
        assert isinstance(choose, ChoosePage)
        self._run(
            self.port.estimates,
            choose.estimates.show_answer,
            lambda exc: choose.estimates.show_error(str(exc)),
        )

    # --- closing ----------------------------------------------------------------------

    def done(self, result: int) -> None:  # accept / reject / close all end here
        self._closed = True
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self._closed = True
        super().closeEvent(event)
