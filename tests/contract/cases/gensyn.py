"""Contract case: gensyn, listed only (desktop/networks/gensyn.py): no adapter actions."""

NETWORK = "gensyn"
KIND = "listed"
