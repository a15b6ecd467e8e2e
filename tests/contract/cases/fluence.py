"""Contract case: fluence, listed only (desktop/networks/fluence.py): no adapter actions."""

NETWORK = "fluence"
KIND = "listed"
