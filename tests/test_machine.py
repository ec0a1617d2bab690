"""The machine description: /proc/cpuinfo read in one place, peak memory on every OS."""

import builtins
import os

from helpers import machine

TWO_CPUS = """\
processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile

processor\t: 1
model name\t: Some other core
flags\t\t: fpu
"""


def test_the_fields_of_the_first_processor_are_read(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(TWO_CPUS)
    assert machine.cpu_model(cpuinfo) == "Intel(R) Xeon(R) Processor"
    assert {"avx2", "amx_bf16"} <= machine.cpu_flags(cpuinfo)
    assert machine.cpuinfo_fields(cpuinfo)["vendor_id"] == "GenuineIntel"


def test_cpu_bfloat16_is_read_from_the_cpu_flags(tmp_path):
    with_amx = tmp_path / "amx"
    with_amx.write_text("flags : fpu avx512f amx_bf16 amx_tile\n")
    with_avx512 = tmp_path / "epyc"
    with_avx512.write_text("flags : fpu avx512f avx512_bf16\n")
    without = tmp_path / "plain"
    without.write_text("flags : fpu avx2\nmodel name : avx512_bf16 lookalike\n")
    assert machine.cpu_has_fast_bfloat16(with_amx)
    assert machine.cpu_has_fast_bfloat16(with_avx512)
    assert not machine.cpu_has_fast_bfloat16(without)
    assert not machine.cpu_has_fast_bfloat16(tmp_path / "no-such-file")  # macOS, Windows


def test_the_three_kinds_of_machine_are_told_apart_by_their_flags_not_their_names(tmp_path):
    kinds = {
        "intel-amx": (
            "model name : Intel(R) Xeon(R)\nflags : fpu avx2 avx512f avx512_bf16 amx_bf16\n",
            ["avx2", "avx512f", "avx512_bf16", "amx_bf16"],
            "AMX (fast bfloat16)",
        ),
        "epyc-bf16": (
            "model name : AMD EPYC\nflags : fpu avx2 avx512f avx512_bf16\n",
            ["avx2", "avx512f", "avx512_bf16"],
            "AVX-512 BF16",
        ),
        "epyc-avx2": (
            "model name : AMD EPYC\nflags : fpu sse4_2 avx2 fma\n",
            ["avx2"],
            "AVX2 only (float32)",
        ),
    }
    for name, (text, flags, kind) in kinds.items():
        (tmp_path / name).write_text(text)
        assert machine.speed_flags(tmp_path / name) == flags, name
        assert machine.cpu_kind(tmp_path / name) == kind, name
    assert machine.cpu_kind(tmp_path / "no-such-file") == "unknown"  # macOS, Windows


def test_machine_info_records_the_flags_that_decide_speed_and_precision():
    info = machine.machine_info()
    assert info["cpu_flags"] == machine.speed_flags()
    assert info["cpu_kind"] == machine.cpu_kind()


def test_without_cpuinfo_the_model_comes_from_the_platform(tmp_path):
    model = machine.cpu_model(tmp_path / "no-such-file")
    assert model and machine.cpu_flags(tmp_path / "no-such-file") == frozenset()


def test_machine_info_names_the_cpus_this_process_may_use():
    info = machine.machine_info()
    assert 1 <= info["usable_cpus"] <= info["cpu_count"] == os.cpu_count()
    assert info["keras"].startswith("3.") and info["tensorflow"]


def test_peak_memory_is_a_plausible_number_of_mebibytes():
    assert 10 < machine.peak_memory_mb() < 24 * 1024


def test_peak_memory_works_without_the_unix_only_resource_module(monkeypatch):
    import psutil  # loaded first: its Linux part needs resource, its Windows part does not

    assert psutil.Process  # the module the Windows branch uses is loaded
    real_import = builtins.__import__

    def no_resource(name, *args, **kwargs):
        if name == "resource":
            raise ImportError("No module named 'resource' (as on Windows)")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_resource)
    assert 10 < machine.peak_memory_mb() < 24 * 1024
