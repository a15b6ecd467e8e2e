"""One editor per setting, built from the API's schema entry (``type``, ``nullable``, ``unit``,
``choices``, ``help``, ``allowed``).

Editors never judge a value beyond reading it: text that is not a number is handed over
as typed, so the worker refuses it with the same words the CLI prints, and the refusal is
shown under the editor (``show_problem``) with the allowed range.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ipc.schema_data import SettingSpec
from desktop.ui.wizard.base import ProblemLabel, discard, muted_label
from desktop.views.settings_words import allowed_words, auto_label
from desktop.wizard.preferences_step import parse_number
from desktop.wizard.state import Problem

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
NULL_WORDS = {"thermal.user_power_limit_w": "No cap"}
PLACEHOLDERS = {
    "gaming.games": "one program per line, e.g. witcher3.exe",
    "jobs.allowed_local_images": "one image per line, e.g. busybox:1.36",
    "networks.order": "one network per line, best first, e.g. nosana",
}


def empty_word(key: str, spec: SettingSpec) -> str:
    """What the window calls a setting's null: the Auto box, "No cap", an empty field."""
    if not spec.nullable:
        return ""
    if spec.type == "number":
        return NULL_WORDS.get(key, "Auto")
    return "empty (off)"


class Editor(QWidget):
    """Base: ``value()``, ``set_value()``, a help line and the in-place problem line.

    Signals:
        edited(): the user changed something.
    """

    edited = Signal()

    def __init__(self, key: str, spec: SettingSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.spec = spec
        self.empty_word = empty_word(key, spec)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(0, 0, 0, 0)
        self.outer.setSpacing(2)
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.outer.addLayout(self.row)
        self.help = muted_label(spec.help)
        self.outer.addWidget(self.help)
        self.problem = ProblemLabel()
        self.outer.addWidget(self.problem)
        self.setToolTip(f"Accepts {allowed_words(spec, self.empty_word)}")

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def show_problem(self, problem: Problem | None) -> None:
        self.problem.show_problem(problem)


class NumberEditor(Editor):
    """A line edit with the unit; nullable ones get an "Auto" box (null = from the card)."""

    def __init__(self, key: str, spec: SettingSpec, parent: QWidget | None = None) -> None:
        super().__init__(key, spec, parent)
        self.edit = QLineEdit()
        self.edit.setMaximumWidth(110)
        self.edit.setAccessibleName(key)
        self.edit.textEdited.connect(lambda _t: self.edited.emit())
        self.row.addWidget(self.edit)
        self.row.addWidget(QLabel(spec.unit))
        self.auto: QCheckBox | None = None
        if spec.nullable:
            self.auto = QCheckBox(NULL_WORDS.get(key, "Auto (from the card)"))
            self.auto.toggled.connect(self._on_auto)
            self.row.addWidget(self.auto)
        self.row.addStretch(1)

    def set_auto_values(self, values: list[float]) -> None:
        """The values "Auto" stands for now (the guard's, per card): "Auto (80 °C for this
        card)", and the same number greyed in the field while Auto is on."""
        if self.auto is None or self.key in NULL_WORDS:
            return
        self.auto.setText(auto_label(values, self.spec.unit))
        self.edit.setPlaceholderText(f"{values[0]:g}" if len(set(values)) == 1 else "")

    def _on_auto(self, on: bool) -> None:
        self.edit.setEnabled(not on)
        if not on and not self.edit.text():  # start from the limit in force, if known
            default = self.edit.placeholderText()
            if not default and isinstance(self.spec.min, int | float):
                default = f"{self.spec.min:g}"
            self.edit.setText(default)
        self.edited.emit()

    def value(self) -> Any:
        if self.auto is not None and self.auto.isChecked():
            return None
        return parse_number(self.edit.text())

    def set_value(self, value: Any) -> None:
        if self.auto is not None:
            self.auto.blockSignals(True)
            self.auto.setChecked(value is None)
            self.auto.blockSignals(False)
            self.edit.setEnabled(value is not None)
        self.edit.setText("" if value is None else f"{value:g}")


class BoolEditor(Editor):
    def __init__(self, key: str, spec: SettingSpec, parent: QWidget | None = None) -> None:
        super().__init__(key, spec, parent)
        self.box = QCheckBox(spec.help or key)
        self.box.setAccessibleName(key)
        self.box.toggled.connect(lambda _on: self.edited.emit())
        self.help.hide()
        self.row.addWidget(self.box)

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self.box.setChecked(bool(value))


class ChoiceEditor(Editor):
    def __init__(self, key: str, spec: SettingSpec, parent: QWidget | None = None) -> None:
        super().__init__(key, spec, parent)
        self.combo = QComboBox()
        self.combo.setAccessibleName(key)
        for choice in spec.choices or []:
            self.combo.addItem(str(choice).capitalize(), choice)
        self.combo.activated.connect(lambda _i: self.edited.emit())
        self.row.addWidget(self.combo)
        self.row.addStretch(1)

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value)
        if index >= 0:
            self.combo.setCurrentIndex(index)


class TextEditor(Editor):
    def __init__(self, key: str, spec: SettingSpec, parent: QWidget | None = None) -> None:
        super().__init__(key, spec, parent)
        self.edit = QLineEdit()
        # a currency code is short; an address or a web address is not
        self.edit.setMaximumWidth(110 if spec.type == "string" and not spec.nullable else 420)
        if "http" in spec.allowed or "HOST:PORT" in spec.allowed:
            self.edit.setMinimumWidth(260)
            self.edit.setMaximumWidth(420)
            self.edit.setPlaceholderText("off" if spec.nullable else "")
        self.edit.setAccessibleName(key)
        self.edit.textEdited.connect(lambda _t: self.edited.emit())
        self.row.addWidget(self.edit)
        self.row.addStretch(1)

    def value(self) -> Any:
        text = self.edit.text().strip()
        return None if not text and self.spec.nullable else text  # an empty box: not given

    def set_value(self, value: Any) -> None:
        self.edit.setText(str(value or ""))


class NamesEditor(Editor):
    """A list of program names, one per line."""

    def __init__(self, key: str, spec: SettingSpec, parent: QWidget | None = None) -> None:
        super().__init__(key, spec, parent)
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText(PLACEHOLDERS.get(key, "one per line"))
        self.edit.setFixedHeight(84)
        self.edit.setAccessibleName(key)
        self.edit.textChanged.connect(self.edited.emit)
        self.row.addWidget(self.edit)

    def value(self) -> Any:
        return [line.strip() for line in self.edit.toPlainText().splitlines() if line.strip()]

    def set_value(self, value: Any) -> None:
        text = "\n".join(str(v) for v in value or [])
        if text != self.edit.toPlainText():
            self.edit.setPlainText(text)


class WindowRow(QWidget):
    """One schedule window: seven day toggles, start and end times, Remove."""

    removed = Signal(object)
    changed = Signal()

    def __init__(self, window: Mapping[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        days = set(window.get("days") or [])
        self.days: list[QToolButton] = []
        for number, name in enumerate(DAYS):
            button = QToolButton()
            button.setText(name)
            button.setCheckable(True)
            button.setChecked(number in days)
            button.toggled.connect(lambda _on: self.changed.emit())
            self.days.append(button)
            layout.addWidget(button)
        self.start = QLineEdit(str(window.get("start") or "22:00"))
        self.end = QLineEdit(str(window.get("end") or "07:00"))
        for edit, name in ((self.start, "start"), (self.end, "end")):
            edit.setMaximumWidth(64)
            edit.setPlaceholderText("HH:MM")
            edit.setAccessibleName(f"window {name}")
            edit.textEdited.connect(lambda _t: self.changed.emit())
        layout.addSpacing(8)
        layout.addWidget(self.start)
        layout.addWidget(QLabel("to"))
        layout.addWidget(self.end)
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.removed.emit(self))
        layout.addWidget(remove)
        layout.addStretch(1)

    def value(self) -> dict[str, Any]:
        return {
            "days": [i for i, b in enumerate(self.days) if b.isChecked()],
            "start": _time_text(self.start.text()),
            "end": _time_text(self.end.text()),
        }


def _time_text(text: str) -> str:
    """'8:30' and '0830' read as 08:30; anything else goes to the worker as typed."""
    raw = text.strip()
    match = re.fullmatch(r"(\d{1,2}):?(\d{2})", raw)
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else raw


class WindowsEditor(Editor):
    """The weekly schedule: a row per window, Add window."""

    def __init__(self, key: str, spec: SettingSpec, parent: QWidget | None = None) -> None:
        super().__init__(key, spec, parent)
        self.rows: list[WindowRow] = []
        self.list = QVBoxLayout()
        self.list.setSpacing(4)
        self.add_button = QPushButton("Add window")
        self.add_button.clicked.connect(self._on_add)
        column = QVBoxLayout()
        column.addLayout(self.list)
        column.addWidget(self.add_button, 0)
        self.row.addLayout(column)
        self.row.addStretch(1)

    def _on_add(self) -> None:
        self.add_row({"days": [0, 1, 2, 3, 4], "start": "22:00", "end": "07:00"})
        self.edited.emit()

    def add_row(self, window: Mapping[str, Any]) -> WindowRow:
        row = WindowRow(window)
        row.removed.connect(self._on_remove)
        row.changed.connect(self.edited.emit)
        self.rows.append(row)
        self.list.addWidget(row)
        return row

    def _on_remove(self, row: WindowRow) -> None:
        self.rows.remove(row)
        self.list.removeWidget(row)
        discard(row)
        self.edited.emit()

    def value(self) -> Any:
        return [row.value() for row in self.rows]

    def set_value(self, value: Any) -> None:
        for row in list(self.rows):
            self.list.removeWidget(row)
            discard(row)
        self.rows = []
        for window in value or []:
            if isinstance(window, Mapping):
                self.add_row(window)


def make_editor(key: str, spec: SettingSpec) -> Editor:
    kind = spec.type
    if kind == "number":
        return NumberEditor(key, spec)
    if kind == "boolean":
        return BoolEditor(key, spec)
    if kind == "list[string]":
        return NamesEditor(key, spec)
    if kind == "list[window]":
        return WindowsEditor(key, spec)
    if spec.choices:
        return ChoiceEditor(key, spec)
    return TextEditor(key, spec)
