"""Bittensor, listed only (networks.md §9): each subnet has its own miner code."""

from desktop.networks.listed import Listing, listed_spec

LISTING = Listing(
    id="bittensor",
    display_name="Bittensor",
    needs=(
        "A wallet (coldkey and hotkey) made with btcli, registration on one subnet by "
        "burning TAO, and that subnet's own miner software; hardware and work differ from "
        "subnet to subnet, and mining is not supported on Windows."
    ),
    why_not=(
        "Bittensor is not one GPU rental but many subnets, each with its own miner code and "
        "scoring, so there is no single node RigPilot could run, pause or read."
    ),
    instead=(
        "Choose a subnet whose task fits your GPU, follow its miner guide on Linux and run "
        "it yourself; RigPilot's guards and books do not cover it."
    ),
    source=(
        "docs.learnbittensor.org (btcli register); opentensor/bittensor-subnet-template "
        "docs/running_on_mainnet.md; opentensor/developer-docs "
        "checklist-for-validating-mining.md"
    ),
    url="https://docs.learnbittensor.org",
)
SPEC = listed_spec(LISTING)
