"""The container arguments are Nosana's documented ones (networks.md §1) plus our labels."""

from __future__ import annotations

from pathlib import Path

from desktop.networks.nosana_node import (
    NodeContainerConfig,
    node_command,
    node_create_kwargs,
    podman_create_kwargs,
)


def test_podman_sidecar_matches_the_documented_start_sh_arguments(tmp_path: Path) -> None:
    kwargs = podman_create_kwargs(NodeContainerConfig(key_path=tmp_path / "k.json"))
    assert kwargs["image"] == "nosana/podman:v1.1.0"
    assert kwargs["name"] == "podman"
    assert kwargs["command"] == ["unix:/podman/podman.sock"]
    assert kwargs["devices"] == ["/dev/fuse:/dev/fuse:rwm"]
    mount = kwargs["mounts"][0]
    assert (mount["Source"], mount["Target"], mount["Type"]) == (
        "podman-cache",
        "/var/lib/containers",
        "volume",
    )
    assert kwargs["volumes"] == {"podman-socket": {"bind": "/podman", "mode": "rw"}}
    assert kwargs["privileged"] is True  # Nosana's own requirement for Podman-in-Docker
    assert kwargs["environment"] == {"ENABLE_GPU": "true"}
    request = kwargs["device_requests"][0]
    assert request["Count"] == -1 and request["Capabilities"] == [["gpu"]]
    assert kwargs["labels"] == {
        "io.rigpilot.managed": "1",
        "io.rigpilot.network": "nosana",
        "io.rigpilot.role": "podman",
    }
    assert "entrypoint" not in kwargs


def test_node_matches_the_documented_manual_start(tmp_path: Path) -> None:
    key = tmp_path / "nosana_key.json"
    kwargs = node_create_kwargs(NodeContainerConfig(key_path=key))
    assert kwargs["image"] == "nosana/nosana-cli:latest"
    assert kwargs["name"] == "nosana-node"
    assert kwargs["network_mode"] == "host"
    assert kwargs["stdin_open"] is True and kwargs["tty"] is True
    assert kwargs["command"] == ["node", "start", "--podman", "/root/.nosana/podman/podman.sock"]
    assert kwargs["volumes"] == {
        str(key): {"bind": "/root/.nosana/nosana_key.json", "mode": "rw"},
        "podman-socket": {"bind": "/root/.nosana/podman", "mode": "ro"},
    }
    assert kwargs["labels"]["io.rigpilot.role"] == "node"
    assert "privileged" not in kwargs


def test_optional_flags_and_test_hooks(tmp_path: Path) -> None:
    cfg = NodeContainerConfig(
        key_path=tmp_path / "k",
        market_network="devnet",
        api_port=5055,
        gpus=False,
        fuse_device=False,
        node_entrypoint=["sh", "-c", "x"],
    )
    assert node_command(cfg)[-4:] == ["--network", "devnet", "--port", "5055"]
    podman = podman_create_kwargs(cfg)
    assert "device_requests" not in podman and "devices" not in podman
    assert node_create_kwargs(cfg)["entrypoint"] == ["sh", "-c", "x"]
