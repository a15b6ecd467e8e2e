"""What the window says in the dashboard's place: no GPU here, or another kind of worker."""

from __future__ import annotations

from desktop.ipc.schema import GpuProblem, Mode
from desktop.views import notices
from desktop.views.rig import RigState, describe
from desktop.views.snapshot import Snapshot
from tests import api_samples as sample

NOT_INSTALLED = GpuProblem(
    code="library_not_found",
    cause="the NVIDIA driver is not installed (its NVML library was not found)",
    fix="Install the NVIDIA driver for your card (Ubuntu: `sudo ubuntu-drivers install`; "
    "Windows: nvidia.com/drivers), then restart the computer.",
)


def test_no_driver_is_one_sentence_with_the_fix_and_the_demo() -> None:
    status = sample.status(mode=Mode.NVML, gpus=[], gpu_error=NOT_INSTALLED)
    notice = notices.no_gpu(status)
    assert notice is not None and notice.key == notices.NO_GPU
    assert notice.title == "No NVIDIA GPU found on this computer"
    assert notice.text == (
        "The NVIDIA driver is not installed: install the NVIDIA driver for your card "
        "(Ubuntu: sudo ubuntu-drivers install; Windows: nvidia.com/drivers), then restart "
        "the computer."
    )
    assert notice.commands == ("sudo ubuntu-drivers install",)
    assert notice.action == "Try the demo"


def test_a_driver_without_a_card_says_so() -> None:
    notice = notices.no_gpu(sample.status(mode=Mode.NVML, gpus=[]))
    assert notice is not None and "reports no graphics card" in notice.text
    assert "`" not in notice.text and notice.commands == ()


def test_a_worker_with_gpus_or_a_simulated_one_has_no_such_notice() -> None:
    assert notices.no_gpu(sample.status(mode=Mode.NVML)) is None  # it has its GPU
    assert notices.no_gpu(sample.status(mode=Mode.SIMULATED, gpus=[])) is None
    assert notices.no_gpu(None) is None


def test_the_header_says_no_gpu_in_words_with_the_fix_underneath() -> None:
    snapshot = Snapshot()
    snapshot.set_status(sample.status(mode=Mode.NVML, gpus=[], gpu_error=NOT_INSTALLED))
    headline = describe(snapshot, connected=True, now=sample.NOW)
    assert headline.state is RigState.ERROR
    assert headline.text == "No NVIDIA GPU found on this computer"
    assert headline.detail.startswith("The NVIDIA driver is not installed: install")


def test_another_kind_of_worker_is_named_with_its_process() -> None:
    notice = notices.other_worker(sample.status(mode=Mode.DEMO, pid=4242))
    assert notice.key == notices.OTHER_WORKER
    assert notice.title == "A demo RigPilot worker is running"
    assert "process 4242" in notice.text and "not yours" in notice.text
    assert notice.action == "Stop it and start RigPilot"
