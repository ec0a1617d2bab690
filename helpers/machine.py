"""The machine a lab runs on: CPU model and features, usable CPUs, peak memory, versions.

The one place that reads ``/proc/cpuinfo`` (Linux only: elsewhere the CPU fields are simply
unknown). Imports no TensorFlow, so tools can describe the machine cheaply.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = [
    "cpu_flags",
    "cpu_kind",
    "cpu_has_fast_bfloat16",
    "cpu_model",
    "cpuinfo_fields",
    "machine_info",
    "package_version",
    "peak_memory_mb",
    "speed_flags",
    "usable_cpus",
]

CPUINFO = Path("/proc/cpuinfo")

#: CPU flags that mean native bfloat16 arithmetic (Intel AMX, AVX-512 BF16).
BFLOAT16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})

#: The CPU flags that decide how fast the labs train and which precision they choose, in the
#: order of the kinds they name (``cpu_kind`` reads the last one present).
SPEED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")

#: What each of those flags makes of a CPU, for people: the course's three kinds of machine.
CPU_KINDS = {
    "amx_bf16": "AMX (fast bfloat16)",
    "avx512_bf16": "AVX-512 BF16",
    "avx512f": "AVX-512, no bfloat16",
    "avx2": "AVX2 only (float32)",
}


def cpuinfo_fields(cpuinfo: Path | str = CPUINFO) -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo (``model name``, ``flags``…); {} if none."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() and fields:
            break  # a blank line ends the first processor's block
        key, colon, value = line.partition(":")
        if colon:
            fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_model(cpuinfo: Path | str = CPUINFO) -> str:
    """The CPU model ("Intel(R) Xeon(R) …"), else what the platform module knows."""
    model = cpuinfo_fields(cpuinfo).get("model name")
    return model or platform.processor() or platform.machine()


def cpu_flags(cpuinfo: Path | str = CPUINFO) -> frozenset[str]:
    """The CPU's feature flags (``avx2``, ``amx_bf16``…); empty where /proc/cpuinfo is missing."""
    return frozenset(cpuinfo_fields(cpuinfo).get("flags", "").split())


def cpu_has_fast_bfloat16(cpuinfo: Path | str = CPUINFO) -> bool:
    """True when the CPU computes in bfloat16 natively (Intel AMX or AVX-512 BF16; Linux only)."""
    return bool(BFLOAT16_FLAGS & cpu_flags(cpuinfo))


def speed_flags(cpuinfo: Path | str = CPUINFO) -> list[str]:
    """Which of ``SPEED_FLAGS`` the CPU has (``["avx2", "avx512f", …]``); [] where unknown."""
    flags = cpu_flags(cpuinfo)
    return [flag for flag in SPEED_FLAGS if flag in flags]


def cpu_kind(cpuinfo: Path | str = CPUINFO) -> str:
    """The kind of CPU for the course's purposes: "AMX (fast bfloat16)", "AVX2 only (float32)"…

    Two CPUs of one maker can be of different kinds (AMD EPYCs with and without AVX-512 BF16), so
    results are grouped by this, not by the processor's name. "unknown" without /proc/cpuinfo.
    """
    present = speed_flags(cpuinfo)
    return CPU_KINDS[present[-1]] if present else "unknown"


def usable_cpus() -> int:
    """The logical CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux, macOS and Windows)."""
    try:
        import resource  # Unix only
    except ImportError:
        import psutil  # Windows: the peak working set

        info = psutil.Process().memory_info()
        return getattr(info, "peak_wset", info.rss) / 2**20
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


def package_version(*names: str) -> str | None:
    """The installed version of the first of these distributions that is installed."""
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(name)
    return None


def machine_info() -> dict:
    """What a measurement was taken on: platform, CPU, usable CPUs, Python, TensorFlow, Keras."""
    return {
        "platform": platform.platform(),
        "processor": cpu_model(),
        "cpu_kind": cpu_kind(),
        "cpu_flags": speed_flags(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "python": platform.python_version(),
        "tensorflow": package_version("tensorflow", "tensorflow-cpu"),
        "keras": package_version("keras"),
    }
