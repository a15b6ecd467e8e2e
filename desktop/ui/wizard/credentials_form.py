"""A form built from a network's credential schema (shared by the wizard and the Networks
page): one input per field, password echo for secrets, where to obtain it, when it expires,
and the worker's refusal shown under the field at fault.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.wizard.base import ProblemLabel, muted_label
from desktop.wizard import credentials_step
from desktop.wizard.state import CredentialSpec, Problem


class FieldEditor(QWidget):
    """One credential: the input, then the help, the link, the expiry and the problem line."""

    def __init__(self, spec: CredentialSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        row = QHBoxLayout()
        self.edit = QLineEdit()
        self.edit.setAccessibleName(spec.title)
        if spec.secret:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.edit.setPlaceholderText("kept in your system keyring only")
        elif not spec.required:
            self.edit.setPlaceholderText("optional")
        row.addWidget(self.edit, 1)
        if spec.kind == "keypair_file":
            browse = QPushButton("Browse…")
            browse.clicked.connect(self._on_browse)
            row.addWidget(browse)
        layout.addLayout(row)
        if spec.how_to_obtain:
            layout.addWidget(muted_label(spec.how_to_obtain))
        if spec.url:
            url = html.escape(spec.url, quote=True)
            link = QLabel(f'<a href="{url}">Where to get it: {url}</a>')
            link.setOpenExternalLinks(True)
            link.setWordWrap(True)
            layout.addWidget(link)
            self.link: QLabel | None = link
        else:
            self.link = None
        expiry = credentials_step.expiry_text(spec)
        self.expiry = muted_label(expiry)
        self.expiry.setVisible(bool(expiry))
        layout.addWidget(self.expiry)
        self.problem = ProblemLabel()
        layout.addWidget(self.problem)

    def _on_browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, f"Choose the {self.spec.title}")
        if path:
            self.edit.setText(path)


class CredentialsForm(QWidget):
    """All fields of one network; ``values()`` returns what was typed (empty ones left out)."""

    def __init__(self, specs: Sequence[CredentialSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, FieldEditor] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(12)
        for spec in specs:
            editor = FieldEditor(spec)
            self.editors[spec.name] = editor
            label = QLabel(spec.title + ("" if spec.required else " (optional)"))
            label.setBuddy(editor.edit)
            form.addRow(label, editor)
        if not specs:
            form.addRow(muted_label("This network needs nothing from you to enroll."))

    def values(self) -> dict[str, str]:
        return {name: e.edit.text() for name, e in self.editors.items()}

    def set_values(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            if name in self.editors and self.editors[name].edit.text() != value:
                self.editors[name].edit.setText(value)

    def show_problem(self, problem: Problem | None) -> bool:
        """Show a problem under its field; False when it names no field of this form."""
        for editor in self.editors.values():
            editor.problem.show_problem(None)
        if problem is None or problem.field not in self.editors:
            return False
        editor = self.editors[problem.field]
        editor.problem.show_problem(problem)
        editor.edit.setFocus()
        return True
