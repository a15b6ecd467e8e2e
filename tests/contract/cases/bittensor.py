"""Contract case: bittensor, listed only (desktop/networks/bittensor.py): no adapter actions."""

NETWORK = "bittensor"
KIND = "listed"
