"""The smallest useful NVML monitor in Python: the floor a GPU watcher is compared with.

    python tests/perf/pynvml_poll.py [HZ]

Every 1/HZ s (default 1), for every GPU: temperature, power, utilisation, memory, fan and
graphics/SM/memory clocks (eight NVML calls, as nvidia-smi's loop reads), one line printed.
Runs until SIGINT, then shuts NVML down. From the team's fake-nvml tool (tests/fakenvml).
"""

from __future__ import annotations

import sys
import time

import pynvml as nv


def main(hz: float) -> None:
    nv.nvmlInit()
    handles = [nv.nvmlDeviceGetHandleByIndex(i) for i in range(nv.nvmlDeviceGetCount())]
    start, tick = time.monotonic(), 0
    clocks = (nv.NVML_CLOCK_GRAPHICS, nv.NVML_CLOCK_SM, nv.NVML_CLOCK_MEM)
    try:
        while True:
            for i, h in enumerate(handles):
                temp = nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU)
                power = nv.nvmlDeviceGetPowerUsage(h)
                util = nv.nvmlDeviceGetUtilizationRates(h)
                mem = nv.nvmlDeviceGetMemoryInfo(h)
                fan = nv.nvmlDeviceGetFanSpeed(h)
                clk = [nv.nvmlDeviceGetClockInfo(h, c) for c in clocks]
                print(
                    f"{tick} gpu{i} {temp}C {power / 1000:.1f}W util={util.gpu}% "
                    f"mem={mem.used >> 20}MiB fan={fan}% clk={clk[0]}/{clk[1]}/{clk[2]}MHz",
                    flush=True,
                )
            tick += 1
            delay = start + tick / hz - time.monotonic()  # fixed rate, no drift
            if delay > 0:
                time.sleep(delay)
    except KeyboardInterrupt:
        pass
    finally:
        nv.nvmlShutdown()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
