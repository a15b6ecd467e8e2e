"""The first-run wizard, Qt-free: a navmap of pure steps over one immutable state.

``flow`` holds the navigation (``advance``, ``back``, ``load``, ``run_checks``); the step
modules turn inputs into a new state; ``port`` is the Protocol the flow calls the worker
through (``client_port.ClientPort`` in the app, a fake in tests). ``desktop.ui.wizard``
puts one Qt page on each step.
"""
