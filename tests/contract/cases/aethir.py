"""Contract case: aethir, listed only (desktop/networks/aethir.py): no adapter actions."""

NETWORK = "aethir"
KIND = "listed"
