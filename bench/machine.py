"""Which machine the figures come from: CPU model, cores, clock, SIMD, memory, versions, load."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

from bench.flops import cpu_peak_flops

__all__ = ["describe_machine", "load_average"]

#: CPU flags worth reporting: they decide the float32 peak and whether bfloat16 is native.
FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def cpu_description(cpuinfo: Path | str = "/proc/cpuinfo") -> dict:
    """Model name, logical CPUs, physical cores and the flags in FLAGS, from /proc/cpuinfo."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return {"model": platform.processor() or "unknown"}
    model, flags, cores = None, set(), set()
    physical = None
    logical = 0
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "processor":
            logical += 1
        elif key == "model name" and model is None:
            model = value
        elif key == "flags" and not flags:
            flags = set(value.split())
        elif key == "physical id":
            physical = value
        elif key == "core id":
            cores.add((physical, value))
    return {
        "model": model or platform.processor() or "unknown",
        "logical_cpus": logical or os.cpu_count(),
        "physical_cores": len(cores) or None,
        "flags": [flag for flag in FLAGS if flag in flags],
    }


def memory_gib() -> float | None:
    """Total RAM in GiB (from /proc/meminfo), or None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages (a busy machine makes every figure pessimistic)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe_machine() -> dict:
    """Everything RESULTS.md says about the machine and the software."""
    import keras
    import tensorflow as tf

    return {
        "cpu": cpu_description(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "peak": cpu_peak_flops(),
        "memory_gib": memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": _version("numpy"),
        "pillow": _version("pillow"),
        "load_average_at_start": load_average(),
    }
