"""GPU and host facts: NVML (real cards), a simulated GPU (everything else), psutil."""
