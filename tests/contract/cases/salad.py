"""Contract case: salad, listed only (desktop/networks/salad.py): no adapter actions."""

NETWORK = "salad"
KIND = "listed"
