"""Aethir, listed only (networks.md §10): enterprise GPUs in data centers."""

from desktop.networks.listed import Listing, listed_spec

LISTING = Listing(
    id="aethir",
    display_name="Aethir",
    needs=(
        "Cloud Hosts register servers in the Aethir Earth portal, run a setup script tied to "
        "the account, wait up to 24 h for verification and stake ATH per server; 99 % "
        "monthly uptime and under 30 minutes offline a day, or stakes are slashed."
    ),
    why_not=(
        "Aethir accepts only enterprise-grade GPUs, under uptime rules a home PC cannot "
        "keep, and has no public per-host API; its Checker nodes are licence-NFT validators, "
        "not GPU work."
    ),
    instead=(
        "If you run data-center GPUs, register them in Aethir's Cloud Host portal yourself; "
        "a gaming GPU can work on a network RigPilot runs, such as Nosana or io.net."
    ),
    source=(
        "docs.aethir.com: cloud-host-portal-guide, operational-requirements-aethir-earth, "
        "checker guide"
    ),
    url="https://docs.aethir.com",
)
SPEC = listed_spec(LISTING)
