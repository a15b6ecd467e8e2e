"""The jobs page: what runs now, and what ran before, from ``GET /jobs``.

Two tables over the same kind of model (running / history). The list is fetched while the
page is on screen (every 5 s, and at once on a ``job.*`` event). When the worker has no
jobs yet, or its jobs endpoint is not available (503), the page says "No jobs yet" calmly:
an empty history is the normal first-day state, not an error.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import clock
from desktop.ipc import endpoints
from desktop.ipc.schema_data import JobsAnswer, JobsQuery
from desktop.ipc.schema_networks import NetworkRecord
from desktop.model import JobRecord, JobState
from desktop.ui.table_model import Index, RowsModel
from desktop.ui.worker_link import WorkerLink
from desktop.views import money
from desktop.views.text import DASH, duration
from desktop.views.text import clock as clock_text

REFRESH_MS = 5000
COLUMNS = ("Job", "Network", "State", "Started", "Duration", "Earned", "Result")
STATE_WORDS = {
    JobState.QUEUED: "Queued",
    JobState.STARTING: "Starting",
    JobState.RUNNING: "Running",
    JobState.PAUSED: "Paused",
    JobState.SUCCEEDED: "Done",
    JobState.FAILED: "Failed",
    JobState.STOPPED: "Stopped",
    JobState.INTERRUPTED: "Interrupted",
}


class JobsModel(RowsModel):
    """Rows are job records; newest first."""

    columns = COLUMNS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[JobRecord] = []
        self.names: dict[str, str] = {}
        self.pay_by_job: dict[str, float] = {}  # USD credited per job, from earned events

    def set_jobs(self, jobs: list[JobRecord]) -> None:
        self.beginResetModel()
        self.jobs = sorted(jobs, key=lambda j: j.created_ts, reverse=True)
        self.endResetModel()

    def rows(self) -> list[JobRecord]:
        return self.jobs

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        job = self.jobs[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(job, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return job.message or job.image or None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def cell(self, job: JobRecord, column: int) -> str:
        now = clock.now()
        if column == 0:
            return job.job_id
        if column == 1:
            return self.names.get(job.network, job.network)
        if column == 2:
            return STATE_WORDS[job.state]
        if column == 3:
            return clock_text(job.started_ts, now) if job.started_ts else "not yet"
        if column == 4:
            if job.started_ts is None:
                return DASH
            return duration((job.ended_ts or now) - job.started_ts)
        if column == 5:
            if job.pay is not None:
                return money.paid(job.pay)
            credited = self.pay_by_job.get(job.job_id)
            return money.amount(credited) if credited is not None else DASH
        return job.message or (job.exit_reason.value if job.exit_reason else "")


class JobsView(QWidget):
    def __init__(self, link: WorkerLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._link = link
        self.running = JobsModel(self)
        self.history = JobsModel(self)
        self.available = True
        self.stack = QStackedWidget()
        self.empty_title = QLabel("No jobs yet")
        self.empty_title.setObjectName("emptyTitle")
        self.empty_hint = QLabel()
        self.empty_hint.setObjectName("emptyHint")
        self.empty_hint.setWordWrap(True)
        empty = QWidget()
        box = QVBoxLayout(empty)
        box.addStretch(1)
        for label in (self.empty_title, self.empty_hint):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(label)
        box.addStretch(2)
        tables = QWidget()
        column = QVBoxLayout(tables)
        column.setContentsMargins(0, 0, 0, 0)
        self.running_table = self._table(self.running, "Running jobs")
        self.history_table = self._table(self.history, "Job history")
        self.running_label = QLabel("Running now")
        self.running_label.setObjectName("muted")
        column.addWidget(self.running_label)
        column.addWidget(self.running_table, 1)
        history_label = QLabel("History")
        history_label.setObjectName("muted")
        column.addWidget(history_label)
        column.addWidget(self.history_table, 3)
        self.stack.addWidget(empty)
        self.stack.addWidget(tables)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.stack)
        self._show_empty("Jobs appear here as soon as a network sends work to this GPU.")
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def _table(self, model: JobsModel, name: str) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setAccessibleName(name)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        table.setShowGrid(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    def _show_empty(self, hint: str) -> None:
        self.empty_hint.setText(hint)
        self.stack.setCurrentIndex(0)

    def set_names(self, networks: list[NetworkRecord]) -> None:
        names = {n.network: n.display_name or n.network for n in networks}
        self.running.names = self.history.names = names

    def set_pay_lookup(self, pay_by_job: dict[str, float]) -> None:
        """Share the dashboard's job_id -> USD credits (the job records carry no pay yet)."""
        self.running.pay_by_job = self.history.pay_by_job = pay_by_job

    def refresh(self, force: bool = False) -> None:
        if (not force and not self.isVisible()) or not self._link.connected:
            return
        query = JobsQuery(limit=200)
        self._link.call(endpoints.JOBS, query, on_done=self.set_answer, on_error=self._on_error)

    def clear(self) -> None:
        """Forget the jobs shown (another rig is on screen); the next refresh fills them."""
        self.running.set_jobs([])
        self.history.set_jobs([])

    def set_answer(self, answer: JobsAnswer) -> None:
        self.available = True
        jobs = answer.jobs
        self.running.set_jobs([j for j in jobs if not j.state.finished])
        self.history.set_jobs([j for j in jobs if j.state.finished])
        if not jobs:
            self._show_empty("Jobs appear here as soon as a network sends work to this GPU.")
            return
        count = self.running.rowCount()
        self.running_label.setText(f"Running now ({count})" if count else "Nothing running now")
        self.running_table.setVisible(bool(count))
        rows = min(count, 6)  # a few running jobs: no tall empty table above the history
        self.running_table.setMaximumHeight(
            self.running_table.horizontalHeader().height()
            + rows * self.running_table.verticalHeader().defaultSectionSize()
            + 4
        )
        self.stack.setCurrentIndex(1)

    def _on_error(self, exc: Exception) -> None:
        if getattr(exc, "code", "") == "unavailable" or getattr(exc, "status", 0) == 503:
            self.available = False
            self._show_empty("Job history is not available from this worker yet.")

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.refresh()
