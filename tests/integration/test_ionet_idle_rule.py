"""io.net's idle-GPU rule, end to end and timed: a game on a GPU io.net owns stops io.net's
containers on the real engine before the game's own use of the GPU passes io.net's limit.
(What is asserted is the order of things; the times are tests/perf/ionet_perf.py's figures.)

The worker's own machinery at its default pace over a simulated RTX 3080 (ionet_rig.py);
io.net's containers are watched from outside, with ``docker inspect``, every 20 ms. The
other program's use follows a model, and the moment it passes 20 % is recorded when the
model sets it.

io.net does not say over what window it measures other programs' use; RigPilot's aim is
that its containers are gone before that use passes the limit. A game spends its first
seconds loading (the model: 3 s, then a climb to 95 % over 5 s); a program that uses the
GPU the moment it starts is above the limit from that moment, and the second test measures
how long io.net's containers still run then. ``tests/perf/ionet_perf.py`` repeats both.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_game import GAME_NAME
from tests.integration.ionet_rig import (
    ForeignUse,
    World,
    game_process,
    open_world,
    remove_run,
    tag_stand_in_images,
)

# The game has a name of its own (tests/fake_game.py): when it was ``cs2``, on the default
# list, every RigPilot worker on the machine paused for it (5 min), and these tests had to
# run by themselves.
pytestmark = pytest.mark.docker

QUIET_S = 3.0
LOAD_S, RAMP_S = 3.0, 5.0  # the game model: loading, then the climb to 95 %
EXPOSURE_BUDGET_S = 5.0  # issue 6: a program on the GPU stops work within 5 s


@pytest.fixture
def world(docker_host: str, test_image: str, tmp_path: Path) -> Iterator[World]:
    import docker

    if shutil.which("docker") is None:
        pytest.skip("the stand-in launch binary needs the docker command")
    client = docker.from_env(timeout=60)
    tag_stand_in_images(client, test_image)
    run = uuid.uuid4().hex[:8]
    opened = open_world(client, run, tmp_path, QUIET_S)
    yield opened
    opened.close()
    remove_run(client, run)
    client.close()


def test_a_game_stops_ionets_containers_before_its_use_passes_the_limit(
    world: World, tmp_path: Path
) -> None:
    start = time.monotonic()
    proc = game_process(tmp_path)
    use = ForeignUse(world.backend, proc.pid, GAME_NAME, watch=world.ionet_running)
    try:
        use.run(start, LOAD_S, RAMP_S)
        world.until(lambda: not world.ionet_running(), 15.0)
        world.until(lambda: use.crossed_at is not None, 15.0)
        # when the game's use passed the limit, io.net's containers were already gone
        assert use.watched_then is False
        world.until(lambda: bool(world.stop_events()), 5.0)  # emitted once the stop returned
        (stop,) = world.stop_events()
        assert f"{GAME_NAME} is running" in stop.message and "stopped at once" in stop.message
    finally:
        use.end()
        proc.kill()
        proc.wait()
    time.sleep(QUIET_S - 2.0)  # (2 s: the probe's round)
    assert not world.ionet_running(), "io.net came back before the quiet period"
    world.until(world.ionet_running, QUIET_S + 30.0)


def test_a_program_using_the_gpu_at_once_is_met_within_the_budget(world: World) -> None:
    use = ForeignUse(world.backend, 31337, "blender")
    try:
        use.run(time.monotonic(), 0.0, 0.0)  # no loading: above the limit the moment it starts
        # issue 6's budget is the time-out; how long it took is ionet_perf.py's figure
        world.until(lambda: not world.ionet_running(), EXPOSURE_BUDGET_S)
        world.until(lambda: bool(world.stop_events()), 5.0)
        (stop,) = world.stop_events()
        assert "blender (pid 31337) is using the GPU" in stop.message
    finally:
        use.end()


def test_the_users_pause_stops_only_ionets_containers_and_resume_starts_them(
    world: World,
) -> None:
    """Not the idle rule: a pause through the supervisor (io.net cannot pause: a graceful
    stop, docker stop with its grace) and a resume (the launch binary again)."""
    world.supervisor.pause_agent("ionet", "You paused io.net.")
    world.until(lambda: not world.ionet_running(), 40.0)
    world.until(lambda: world.io_count() == 0, 10.0)  # removed too, as io.net's stop does
    world.supervisor.resume_agent("ionet", "You resumed io.net.")
    world.until(world.ionet_running, 60.0)
    world.until(lambda: any(e.kind == "network.resumed" for e in world.events), 10.0)
    kinds = [e.kind for e in world.events]
    assert kinds.index("network.paused") < kinds.index("network.resumed")
