"""Fluence, listed only (networks.md §11): data-center capacity backed by stake."""

from desktop.networks.listed import Listing, listed_spec

LISTING = Listing(
    id="fluence",
    display_name="Fluence",
    needs=(
        "Providers are data-center operators (mostly Tier 3 and 4) whose Capacity "
        "Commitments are backed by FLT stake and proven every epoch; a compute unit is one "
        "CPU core with 4 GB of memory."
    ),
    why_not=(
        "Fluence sells data-center CPU capacity under staked commitments, not a desktop GPU, "
        "and its public API (api.fluence.dev) is for renters, not providers."
    ),
    instead=(
        "Nothing from a home PC; a data-center operator can apply to become a Fluence provider."
    ),
    source="fluence.dev documentation; fluencenetwork.notion.site staking guide",
    url="https://fluence.dev",
)
SPEC = listed_spec(LISTING)
