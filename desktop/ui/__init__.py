"""The desktop app (PySide6 + pyqtgraph): a viewer and controller of the worker.

It reaches the worker only through the local API (``desktop.ipc.client``); every call
runs off the GUI thread and comes back by signal, so the window never freezes.
"""
