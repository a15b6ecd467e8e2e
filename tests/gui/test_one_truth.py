"""Every view agrees, against a real worker in demo mode: after "Pause all" every widget that
shows the rig's state says paused within 2 s and none says working, the same after resume,
and the header shows the temperature card's very reading in every frame."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer

from desktop.model import GpuState

TEMP = re.compile(r"(\d+) °C")
SETTLE_MS = 2000  # the promise: every view follows a pause within 2 s


class FrameWatch(QObject):
    """Compares the header's temperature with the card's at every paint of either, and on a
    20 ms timer in between; keeps every disagreement it sees."""

    def __init__(self, rig: Any) -> None:
        super().__init__()
        self.rig = rig
        self.frames = 0
        self.mismatches: list[tuple[str, str, str]] = []
        self.header = rig.window.strip.text
        self.card = rig.window.dashboard.cards.cards["temperature"].value
        for widget in (self.header, self.card):
            widget.installEventFilter(self)
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self.compare)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.frames += 1
            self.compare()
        return False

    def compare(self) -> None:
        header, card = self.header.text(), self.card.text()
        tooltip = self.rig.tray.icon.toolTip()
        shown = TEMP.search(header)
        if shown and TEMP.search(card) and shown.group(1) != TEMP.search(card).group(1):
            self.mismatches.append(("header", header, card))
        in_tray = TEMP.search(tooltip.splitlines()[-1]) if tooltip.count("\n") >= 2 else None
        if in_tray and TEMP.search(card) and in_tray.group(1) != TEMP.search(card).group(1):
            self.mismatches.append(("tray", tooltip, card))

    def stop(self) -> None:
        self.timer.stop()
        for widget in (self.header, self.card):
            widget.removeEventFilter(self)


def state_texts(rig: Any) -> dict[str, str]:
    """Every text that says what the rig is doing, by where it is shown."""
    window, pages = rig.window, rig.pages
    cards = window.dashboard.cards.cards
    texts = {
        "header": window.strip.text.text(),
        "gpu line": window.dashboard.gpu_label.text(),
        "jobs card": f"{cards['jobs'].value.text()} {cards['jobs'].note.text()}",
        "network card": f"{cards['network'].value.text()} {cards['network'].note.text()}",
        "tray tooltip": rig.tray.icon.toolTip(),
    }
    for name, card in pages.networks.cards.items():
        if card.buttons["remove"].isVisibleTo(card):  # enrolled: it has a state to tell
            texts[f"Networks page: {name}"] = card.state.text()
    return texts


def all_paused(rig: Any) -> bool:
    texts = state_texts(rig)
    shown = [texts["header"], texts["gpu line"], texts["network card"], texts["tray tooltip"]]
    shown += [t for k, t in texts.items() if k.startswith("Networks page")]
    return all("Paus" in t for t in shown) and not any("Working" in t for t in texts.values())


def none_paused(rig: Any) -> bool:
    return not any("Paus" in t for t in state_texts(rig).values())


def test_pause_all_reaches_every_view_and_the_header_reads_the_cards_sample(
    start_worker: Any, open_app: Any, qtbot: Any
) -> None:
    worker = start_worker("--demo", "--sim-speed", "10")
    rig = open_app()
    qtbot.waitUntil(lambda: rig.pages is not None, timeout=10_000)
    networks = rig.pages.networks
    rig.window.tabs.setCurrentWidget(networks)  # the page loads its cards when shown
    qtbot.waitUntil(lambda: "demo" in networks.cards, timeout=10_000)
    rig.window.tabs.setCurrentWidget(rig.window.first_tab)  # live telemetry flows again
    watch = FrameWatch(rig)
    try:
        # Work first, so that "none says working" means something.
        qtbot.waitUntil(lambda: worker.status().gpus[0].state is GpuState.WORKING, timeout=120_000)
        qtbot.waitUntil(lambda: "Working" in state_texts(rig)["gpu line"], timeout=5000)
        qtbot.waitUntil(lambda: TEMP.search(state_texts(rig)["header"]) is not None)

        rig.window.strip.pause_button.click()  # "Pause all"
        qtbot.waitUntil(lambda: all_paused(rig), timeout=SETTLE_MS)
        qtbot.wait(3000)  # and it stays so: no view drifts back to "Working"
        assert all_paused(rig), state_texts(rig)
        assert rig.window.strip.pause_button.text() == "&Resume"

        rig.window.strip.pause_button.click()  # "Resume"
        qtbot.waitUntil(lambda: none_paused(rig), timeout=SETTLE_MS)
        qtbot.wait(3000)
        assert none_paused(rig), state_texts(rig)
    finally:
        watch.stop()
    assert watch.frames > 10  # the header and the card were painted all along
    assert watch.mismatches == []
