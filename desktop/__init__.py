"""RigPilot: put an idle NVIDIA GPU to paid work on compute marketplaces, safely."""

__version__ = "0.1.0"
