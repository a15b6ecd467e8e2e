"""Render Network, listed only (networks.md §8): a waitlist and OTOY's own client."""

from desktop.networks.listed import Listing, listed_spec

LISTING = Listing(
    id="render",
    display_name="Render Network",
    needs=(
        "Node operators join from a waitlist with a Solana wallet, then run OTOY's render "
        "client with credentials the Render team sends; newer Compute Client nodes are "
        "admitted through io.net (an approved GPU list, 100 Mb/s down and 75 up)."
    ),
    why_not=(
        "Render admits nodes from its waitlist only and runs jobs in its own client, with no "
        "public node, status or earnings API that RigPilot could drive or read."
    ),
    instead=(
        "Apply on Render's waitlist and, once admitted, run its client yourself; its newer "
        "compute nodes come through io.net, which RigPilot can run for you."
    ),
    source=(
        "know.rendernetwork.com (node operator manual); medium.com/render-token, "
        "Compute Client update (2023)"
    ),
    url="https://renderfoundation.com/waitlist",
)
SPEC = listed_spec(LISTING)
