"""Jobs: spec validation (spec.py), the hardened container profile (profile.py), the
runners (docker_runner.py, simulated_runner.py, runner.py for their common interface) and
the reaper that keeps containers from outliving the worker (lease.py, reaper.py).

This package init imports nothing: ``desktop.jobs.spec`` must stay importable without the
docker SDK (networks import it), and only docker_runner / reaper load docker.
"""
