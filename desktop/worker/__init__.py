"""The worker process: the long-lived service that owns every side effect (never imports Qt)."""
