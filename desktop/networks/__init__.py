"""Network adapters: one protocol (base.py), the practice network (demo.py), Nosana.

Import the submodules directly; this package init stays empty so that importing the
protocol does not pull in httpx or the Docker SDK.
"""
