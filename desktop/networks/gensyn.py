"""Gensyn, listed only: a testnet whose RL Swarm node earns points, run from its repository."""

from desktop.networks.listed import Listing, listed_spec

LISTING = Listing(
    id="gensyn",
    display_name="Gensyn",
    needs=(
        "Gensyn's RL Swarm on its testnet: a clone of gensyn-ai/rl-swarm started with Docker "
        "Compose or its script, an RTX 3090, 4090 or 5090, A100 or H100 (or a CPU with 32 GB "
        "of RAM), and an e-mail log-in in a browser that ties the node to an on-chain "
        "identity."
    ),
    why_not=(
        "Gensyn is a testnet: a node earns participation points on a leaderboard, not pay, "
        "and it is Gensyn's repository run by hand with an interactive browser log-in that "
        "RigPilot cannot do for you."
    ),
    instead=(
        "To take part, follow the rl-swarm README on a supported GPU and pause RigPilot's "
        "networks on that GPU while it trains; RigPilot does not manage or count it."
    ),
    source="github.com/gensyn-ai/rl-swarm README (Requirements, Login, Identity management)",
    url="https://github.com/gensyn-ai/rl-swarm",
)
SPEC = listed_spec(LISTING)
