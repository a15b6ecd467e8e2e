"""The setup doctor: checks that say what this machine lacks to become a compute node.

One module per family (driver, cuda, docker, toolkit, smoke, system), run in order by
``runner``; every check returns a ``desktop.model.CheckResult`` with a plain fix.
"""
