"""The Networks page against a real worker in demo mode: one-click Enroll, Pause, Resume,
Remove, each confirmed through the API; earnings appear; a screenshot for the README."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ipc.schema_networks import (
    ActionRequired,
    CredentialField,
    EnrollRequest,
    NetworkChange,
    NetworkRecord,
    NetworkRef,
    NetworksAnswer,
    Reputation,
)
from desktop.model import CheckResult, CheckStatus, NodeState
from tests import api_samples as sample

SHOTS = Path(__file__).resolve().parents[2] / "resources" / "screenshots"


def api_network(worker: Any, network: str) -> NetworkRecord:
    networks = worker.client.call(endpoints.NETWORKS).networks
    return next(n for n in networks if n.network == network)


@pytest.fixture
def page(
    qtbot: Any, display: str, start_worker: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> Any:
    from desktop.ui.networks_page import NetworksPage

    if os.environ.get("RIGPILOT_TEST_IMAGE"):
        monkeypatch.setenv("RIGPILOT_DEMO_IMAGE", os.environ["RIGPILOT_TEST_IMAGE"])
    worker = start_worker("--demo", "--sim-speed", "100")
    # Demo mode enrolls the practice network by itself; start from "not enrolled" (once its
    # own enrollment is done, or that would enroll it again after the removal).
    qtbot.waitUntil(lambda: api_network(worker, "demo").enrolled, timeout=15_000)
    worker.client.call(endpoints.REMOVE, NetworkRef(network="demo"))
    qtbot.waitUntil(lambda: not api_network(worker, "demo").enrolled, timeout=30_000)
    networks_page = NetworksPage(worker.client)
    networks_page.worker = worker
    qtbot.addWidget(networks_page)
    networks_page.resize(1000, 700)
    with qtbot.waitSignal(networks_page.refreshed, timeout=10_000):
        networks_page.show()
    return networks_page


def click(qtbot: Any, button: Any) -> None:
    from PySide6.QtCore import Qt

    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled() and button.height() > 5)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_cards_show_state_requirements_and_next_step(qtbot: Any, page: Any) -> None:
    assert {"demo", "nosana"} <= set(page.cards)
    demo = page.cards["demo"]
    assert demo.name.text() == api_network(page.worker, "demo").display_name
    assert demo.buttons["enroll"].isVisible() and not demo.buttons["pause"].isVisible()
    assert "Next step:" in demo.next_step.text() and "Enroll" in demo.next_step.text()
    assert "Needs:" in demo.requirements.text() and "Any computer" in demo.requirements.text()
    assert "Today:" in demo.figures.text() and "Reputation:" in demo.figures.text()
    nosana = page.cards["nosana"]
    requirements = api_network(page.worker, "nosana").requirements
    unmet = [r for r in requirements if r.status is CheckStatus.FAIL]
    if unmet:  # this test machine has no supported NVIDIA GPU: the card says what is missing
        assert "✘" in nosana.requirements.text()
        assert unmet[0].title in nosana.requirements.text()


def test_enroll_pause_resume_remove_in_one_click_each(
    qtbot: Any, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = page.cards["demo"]
    click(qtbot, card.buttons["enroll"])
    qtbot.waitUntil(lambda: api_network(page.worker, "demo").enrolled, timeout=10_000)
    qtbot.waitUntil(lambda: card.buttons["pause"].isVisible(), timeout=10_000)
    # the enrollment's start runs as an operation: the card ends with its last word
    assert "Enrolled" in card.message.text()
    assert not card.buttons["enroll"].isVisible()

    qtbot.waitUntil(
        lambda: api_network(page.worker, "demo").earnings_total.gross > 0, timeout=90_000
    )
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        page.refresh()
    total = re.search(r"Total: <b>practice \$([\d,]+\.\d+)", card.figures.text())
    assert total is not None and float(total.group(1).replace(",", "")) > 0
    page.resize(1000, 700)
    qtbot.wait(250)
    SHOTS.mkdir(parents=True, exist_ok=True)
    from desktop.ui import theme

    app = __import__("PySide6.QtWidgets").QtWidgets.QApplication.instance()
    palette, style, sheet = app.palette(), app.style().name(), app.styleSheet()
    theme.apply(app, theme.DARK)
    try:
        qtbot.wait(250)
        assert page.grab().save(str(SHOTS / "networks.png"))
    finally:
        app.setStyle(style)
        app.setPalette(palette)
        app.setStyleSheet(sheet)

    # The page follows the status the app polls (the user's hold is in the record).
    page.status_wanted.connect(lambda: page.on_status(page.worker.status()))
    click(qtbot, card.buttons["pause"])
    qtbot.waitUntil(lambda: api_network(page.worker, "demo").held is not None, timeout=10_000)
    qtbot.waitUntil(lambda: card.buttons["resume"].isVisible(), timeout=10_000)
    assert "Paused" in card.state.text()
    (hold,) = page.worker.status().user_holds  # POST /pause of scope "network": one record
    assert (hold.scope, hold.network) == ("network", "demo")

    click(qtbot, card.buttons["resume"])
    qtbot.waitUntil(lambda: api_network(page.worker, "demo").held is None, timeout=10_000)
    qtbot.waitUntil(lambda: card.buttons["pause"].isVisible(), timeout=10_000)

    monkeypatch.setattr(type(page), "_confirm_remove", lambda self, card: True)
    click(qtbot, card.buttons["remove"])
    qtbot.waitUntil(lambda: not api_network(page.worker, "demo").enrolled, timeout=10_000)
    qtbot.waitUntil(lambda: card.buttons["enroll"].isVisible(), timeout=10_000)


def test_a_refused_action_is_shown_on_its_card(qtbot: Any, page: Any) -> None:
    card = page.cards["demo"]
    card.action_requested.emit("demo", "pause")  # not enrolled: the worker says 409
    qtbot.waitUntil(lambda: card.message.isVisible(), timeout=10_000)
    assert "not enrolled" in card.message.text() and "enroll" in card.message.text().lower()


def test_enroll_dialog_asks_for_required_fields(qtbot: Any, display: str) -> None:
    from PySide6.QtWidgets import QLineEdit

    from desktop.ui.wizard.enroll_dialog import EnrollDialog

    sent: list[Any] = []

    class Client:
        def call(self, endpoint: Any, request: Any = None) -> Any:
            sent.append((endpoint.name, request))
            return NetworkChange(status=sample.record("acme"))

    network = sample.record(
        "acme",
        display_name="Acme",
        credential_fields=[
            CredentialField(
                name="token",
                kind="api_key",
                required=True,
                secret=True,
                how_to_obtain="Create one under Account, Tokens.",
                url="https://acme.example/tokens",
                expires_days=90,
                label="API token",
            )
        ],
    )
    dialog = EnrollDialog(Client(), network, run=lambda fn, done, err: done(fn()))
    qtbot.addWidget(dialog)
    dialog.show()
    editor = dialog.form.editors["token"]
    assert editor.edit.echoMode() is QLineEdit.EchoMode.Password
    assert editor.link is not None and "https://acme.example/tokens" in editor.link.text()
    assert "Expires 90 days after" in editor.expiry.text()
    dialog.submit()  # nothing typed: refused before the worker is asked
    assert not sent and editor.problem.isVisible() and "API token" in editor.problem.text()
    editor.edit.setText("  tok-123 ")
    with qtbot.waitSignal(dialog.enrolled, timeout=2000):
        dialog.submit()
    assert sent == [("enroll", EnrollRequest(network="acme", credentials={"token": "tok-123"}))]


def test_next_steps_and_states_from_the_api_shape(qtbot: Any, display: str) -> None:
    """What only the user can do is written out: message, link, code, command to copy."""
    from desktop.ui.networks_page import NetworksPage
    from desktop.ui.wizard.checks_page import CommandLine

    network = sample.record(
        "nosana",
        state=NodeState.PENDING_APPROVAL,
        next_step="Wait for approval of your node in the Nosana dashboard.",
        action_required=ActionRequired(
            message="Register once with this command",
            url="https://dashboard.nosana.com",
            code="AB-12",
            command="nosana node join",
        ),
        requirements=[
            CheckResult(
                "nosana.gpu", "Supported GPU", CheckStatus.FAIL, "no supported GPU",
                "An RTX 3060 or newer.",
            )
        ],
        earnings_today=sample.money("1.5", "1.2"),
        earnings_total=sample.money("12.25", "10.00"),
        reputation=Reputation(uptime_pct=97.4, verified=True),
    )  # fmt: skip

    class Client:
        def call(self, endpoint: Any, request: Any = None) -> Any:
            return NetworksAnswer(networks=[network])

    page = NetworksPage(Client(), run=lambda fn, done, err: done(fn()))
    qtbot.addWidget(page)
    page.set_networks([network])
    card = page.cards["nosana"]
    assert "Waiting for approval" in card.state.text()
    text = card.next_step.text()
    assert (
        "Wait for approval" in text and "https://dashboard.nosana.com" in text and "AB-12" in text
    )
    assert [c.command for c in card.findChildren(CommandLine)] == ["nosana node join"]
    assert "$1.50 (after power $1.20)" in card.figures.text()
    assert "$12.25 (after power $10.00)" in card.figures.text()
    assert "97 % uptime, verified" in card.figures.text()
    assert "An RTX 3060 or newer." in card.requirements.text()
    assert card.buttons["pause"].isVisibleTo(card) and card.buttons["remove"].isVisibleTo(card)
    assert not card.buttons["enroll"].isVisibleTo(card)
    # The status's view of the network wins for its state: the user's hold says Paused.
    hold = sample.user_hold("network", network="nosana")
    page.on_status(sample.status(networks=[sample.brief("nosana", NodeState.BUSY, held=hold)]))
    assert "Paused" in card.state.text() and card.buttons["resume"].isVisibleTo(card)
    assert "Working" not in card.state.text()
    page.set_networks([])
    assert page.cards == {}


ISSUE_NETWORKS = (  # every network issue 14 names that this branch registers
    "demo", "nosana", "clore", "vast", "akash",
    "render", "aethir", "fluence", "bittensor", "gensyn", "salad",
)  # fmt: skip
LISTED = ("render", "aethir", "fluence", "bittensor", "gensyn", "salad")


def test_every_network_has_a_card_with_its_state_or_the_honest_reason(
    qtbot: Any, page: Any
) -> None:
    """Against the real worker: a card per registered network; a listed-only one has no
    button at all and says why RigPilot cannot join it, what to do instead, and the source."""
    records = {n.network: n for n in page.worker.client.call(endpoints.NETWORKS).networks}
    assert set(ISSUE_NETWORKS) <= set(records) == set(page.cards)
    for network in ISSUE_NETWORKS:
        card = page.cards[network]
        assert card.state.text().startswith("● "), network
        assert card.blurb.text() == records[network].description
        if network in LISTED:
            assert "Can't join here" in card.state.text()
            assert not any(b.isVisibleTo(card) for b in card.buttons.values()), network
            assert "Why RigPilot cannot join this computer to it" in card.requirements.text()
            assert "Instead:" in card.next_step.text() and "Source:" in card.next_step.text()
            assert not card.figures.isVisibleTo(card)
        else:
            assert card.buttons["enroll"].isVisibleTo(card), network
            assert "Not enrolled" in card.state.text() or "Watch" in card.state.text()
    assert "do not list a computer you also game on" in page.cards["vast"].blurb.text()
    assert "when the current rental ends" in page.cards["clore"].blurb.text()
    # the screenshot of the rows RigPilot only lists, for the README
    page.resize(1000, 900)
    scroll = page.findChild(__import__("PySide6.QtWidgets").QtWidgets.QScrollArea)
    qtbot.wait(200)
    scroll.ensureWidgetVisible(page.cards["salad"])
    from desktop.ui import theme

    app = __import__("PySide6.QtWidgets").QtWidgets.QApplication.instance()
    palette, style, sheet = app.palette(), app.style().name(), app.styleSheet()
    theme.apply(app, theme.DARK)
    try:
        qtbot.wait(300)
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert page.grab().save(str(SHOTS / "networks-listed.png"))
    finally:
        app.setStyle(style)
        app.setPalette(palette)
        app.setStyleSheet(sheet)
