"""Contract case: render, listed only (desktop/networks/render.py): no adapter actions."""

NETWORK = "render"
KIND = "listed"
