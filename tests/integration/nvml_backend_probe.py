"""Drive RigPilot's real NVML backend once and print what it saw, as one JSON document.

Run by ``test_nvml_stand_in.py`` in a process of its own whose ``LD_LIBRARY_PATH`` points at
the stand-in ``libnvidia-ml.so.1`` (the loader reads it at process start only). Steps: open
the backend, read the card's facts and one sample, set the power limit to 200 W, read it
back, try an out-of-range limit, sample until the card has cooled towards the lower limit's
temperature (or ``COOL_READINGS`` readings pass), then restore the default limit.

    python tests/integration/nvml_backend_probe.py COOL_BELOW_C
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from desktop.hardware.gpu import GpuError
from desktop.hardware.nvml import open_backend

COOL_READINGS = 200
READING_GAP_S = 0.05
LOWER_LIMIT_W = 200.0


def main(cool_below_c: float) -> dict[str, Any]:
    backend = open_backend()
    try:
        info = backend.devices()[0]
        first = backend.sample(0)
        backend.set_power_limit(0, LOWER_LIMIT_W)
        lowered = backend.sample(0)
        try:
            backend.set_power_limit(0, 700.0)
            refused: dict[str, str] | None = None
        except GpuError as exc:
            refused = {"code": exc.code, "cause": exc.cause, "fix": exc.fix}
        temps = []
        for _ in range(COOL_READINGS):
            reading = backend.sample(0)
            temps.append(reading.core_temp_c)
            if reading.core_temp_c is not None and reading.core_temp_c < cool_below_c:
                break
            time.sleep(READING_GAP_S)
        backend.set_power_limit(0, info.power.default_w or 450.0)
        restored = backend.sample(0)
        return {
            "info": info.to_json(),
            "first": first.to_json(),
            "lowered": lowered.to_json(),
            "refused": refused,
            "cooling_temps": temps,
            "restored": restored.to_json(),
            "nvml_calls": backend.nvml_calls,
        }
    finally:
        backend.close()


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]))))
