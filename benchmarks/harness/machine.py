"""Machine and date stamp for benchmark results."""

from __future__ import annotations

import datetime
import os
import platform


def machine_stamp(device: str = "cpu") -> str:
    """Date, processor, cores, memory and Python; with a CUDA ``device``, the GPU's name too."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gib = float("nan")
    date = datetime.date.today().isoformat()
    stamp = f"{date}, {cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}"
    if str(device).startswith("cuda"):
        import torch

        stamp += f", {torch.cuda.get_device_name(torch.device(device))} (torch {torch.__version__})"
    return stamp
