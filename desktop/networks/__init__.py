"""Network adapters: the protocols (base.py), the registry of network modules
(registry.py), the practice network (demo*.py) and Nosana (nosana*.py).

Import the submodules directly; this package init stays empty so that importing the
protocols does not pull in httpx or the Docker SDK.
"""
