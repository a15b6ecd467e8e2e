"""Salad, listed only (networks.md §6): a closed Windows app that runs its own jobs."""

from desktop.networks.listed import Listing, listed_spec

LISTING = Listing(
    id="salad",
    display_name="Salad",
    needs=(
        "Salad's own Windows app (Windows 10 1903 or later, or 11, with WSL2 and "
        "virtualization on): it installs Salad Enterprise Linux in WSL2 and runs SaladCloud "
        "container jobs chosen by Salad's orchestrator."
    ),
    why_not=(
        "Salad is a closed Windows app with its own orchestrator; its account API works only "
        "with a web log-in (cookies), so RigPilot can neither run it nor read its earnings."
    ),
    instead=(
        "Install Salad's app from salad.com on Windows and let it have the GPU on its own: "
        "pause RigPilot's networks on that GPU while Salad works (two managers on one GPU "
        "get in each other's way)."
    ),
    source=(
        "docs.salad.com (architectural overview); community.salad.com "
        "(container workloads and your PC); SaladTechnologies/salad-applications web app"
    ),
    url="https://salad.com",
)
SPEC = listed_spec(LISTING)
