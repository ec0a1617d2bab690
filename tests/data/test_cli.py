"""The command line: ``python -m helpers.data fetch|info``, exit codes and messages."""

import dataclasses
import importlib
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from helpers.config import REPO
from helpers.data import DataError, fetch, loaders, registry

cli = importlib.import_module("helpers.data.__main__")
pytestmark = pytest.mark.usefixtures("isolated_data")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m helpers.data ARGS`` in a fresh process with this test's data settings."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "helpers.data", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_info_lists_every_artifact_with_its_licence_and_the_settings(isolated_data):
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    for name in ("mnist", "cats_and_dogs", "chest_xray", "mobilenet_v2_no_top"):
        assert name in result.stdout
    assert "CC BY-SA 3.0" in result.stdout and "CC BY 4.0" in result.stdout
    assert f"cache : {isolated_data}" in result.stdout
    assert "mirror: not set  (CNN_LABS_MIRROR)" in result.stdout


def test_an_unknown_artifact_exits_2_with_a_clear_message_and_no_traceback():
    result = run_cli("fetch", "minst")
    assert result.returncode == 2
    assert "error: unknown artifact 'minst'; valid names are: mnist" in result.stderr
    assert "Traceback" not in result.stderr


def test_fetch_prints_the_path_it_produced(make, capsys, isolated_data):
    make.mirror({"mnist.npz": b"digits"})
    assert cli.main(["fetch", "mnist", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(isolated_data / "mnist.npz")


def test_fetch_all_fetches_what_it_can_and_skips_files_with_no_source(make, monkeypatch, capsys):
    make.mirror({"toy.bin": b"toy"})
    registry = {
        "toy": make.artifact(),
        "lost": make.artifact("lost.bin", name="lost"),
        "extra": make.artifact(
            "extra.bin", name="extra", url="https://example.org/x", optional=True
        ),
    }
    monkeypatch.setattr(cli, "ARTIFACTS", registry)
    assert cli.main(["fetch", "all", "-q"]) == 0
    out = capsys.readouterr().out
    assert "toy: " in out
    assert "skip lost: lost.bin has no public download and is not in the mirror" in out
    assert "skip extra: optional" in out


def test_help_describes_the_commands(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("fetch", "info", "CNN_LABS_MIRROR"))


def test_info_without_a_mirror_says_where_each_artifact_would_come_from(isolated_data):
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert rows["mnist"].split()[1:3] == ["download", "11.5MB"]
    assert "derived from chest_xray_full  about 1.20GB  CC BY 4.0" in rows["chest_xray"]
    assert rows["mobilenet_v2_approx_top"].split()[1:3] == ["unavailable", "-"]
    assert not isolated_data.exists(), "info created or fetched something"


def test_info_and_fetch_agree_when_the_mirror_has_other_bytes_than_the_cache(
    make, isolated_data, monkeypatch, capsys
):
    """MNIST's case: a canonical download in the cache, the mirror's faithful rebuild listed."""
    canonical, rebuilt = b"the canonical npz", b"the mirror's rebuilt npz"
    artifact = make.artifact("mnist.npz", name="mnist", sha256=make.sha256(canonical))
    monkeypatch.setattr(cli, "ARTIFACTS", {"mnist": artifact})
    isolated_data.mkdir(parents=True)
    (isolated_data / "mnist.npz").write_bytes(canonical)  # adopted: it has the pinned sha256
    make.mirror({"mnist.npz": rebuilt})

    def where() -> str:
        assert cli.main(["info"]) == 0
        return next(line for line in capsys.readouterr().out.splitlines() if "mnist " in line)

    assert where().split()[1:3] == ["mirror", "24.0B"]
    assert cli.main(["fetch", "all", "-q"]) == 0
    assert (isolated_data / "mnist.npz").read_bytes() == rebuilt  # what info said
    assert where().split()[1] == "cache"


def test_there_is_no_option_to_accept_another_sha256(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["fetch", "mnist", "--accept-sha256", "0" * 64])
    assert exited.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


def lab_stand_ins(make) -> dict[str, bytes]:
    """Small synthetic files with the layout of each public artifact the labs need."""
    arrays = io.BytesIO()
    rng = np.random.default_rng(0)
    np.savez_compressed(
        arrays,
        x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_train=np.arange(20, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        y_test=np.arange(10, dtype=np.uint8),
    )
    pets = {
        f"cats_and_dogs_filtered/{split}/{kind}s/{kind}.{number}.jpg": make.jpeg(seed=number)
        for split, numbers in (("train", (0, 1)), ("validation", (2000, 2001)))
        for kind in ("cat", "dog")
        for number in numbers
    }
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    return {
        "mnist": arrays.getvalue(),
        "cats_and_dogs": make.zip(pets),
        "mobilenet_v2_no_top": b"\x89HDF\r\n\x1a\n stand-in weights",
        "imagenet_class_index": json.dumps(index).encode(),
    }


def test_every_lab_artifact_comes_from_public_urls_without_a_mirror(
    xray_source, range_server, make, monkeypatch, capsys, isolated_data
):
    # Each public file is served on loopback under its real name, with its URL, size and sha256
    # (where the registry pins them) replaced by the stand-in's.
    for name, data in lab_stand_ins(make).items():
        artifact = registry.ARTIFACTS[name]
        (range_server.folder / artifact.filename).write_bytes(data)
        served = dataclasses.replace(
            artifact,
            url=range_server.url(artifact.filename),
            sha256=make.sha256(data) if artifact.sha256 else None,
            size=len(data) if artifact.size else None,
        )
        monkeypatch.setitem(registry.ARTIFACTS, name, served)

    assert cli.main(["fetch", "all"]) == 0

    out = capsys.readouterr().out
    fetched = f"mnist: {isolated_data / 'mnist.npz'}"  # one line per artifact, as it goes
    assert out.index("mnist: downloading") < out.index(fetched) < out.index("cats_and_dogs: ")
    assert "skip chest_xray_full: optional" in out
    assert "skip mobilenet_v2_approx_top: optional" in out
    served_files = sorted(r["path"] for r in range_server.requests)
    assert served_files == sorted(
        f"/{registry.ARTIFACTS[name].filename}"
        for name in ("mnist", "cats_and_dogs", "chest_xray_full", "mobilenet_v2_no_top")
        + ("imagenet_class_index",)
    )
    # Every lab finds what it loads: Lab 1, Labs 2, 3 and 5, Lab 4, Lab 5's weights and classes.
    (x_train, _), (x_test, _) = loaders.load_mnist()
    assert x_train.shape == (20, 28, 28) and x_test.shape == (10, 28, 28)
    pets = loaders.load_cats_and_dogs(image_size=16)
    assert pets.counts()["test"] == {"cats": 1, "dogs": 1}
    xrays = loaders.load_chest_xray(image_size=16)
    assert xrays.counts()["test"] == {"NORMAL": 1, "PNEUMONIA": 1}
    assert fetch("mobilenet_v2_no_top", progress=False).read_bytes().startswith(b"\x89HDF")
    classes = json.loads(fetch("imagenet_class_index", progress=False).read_text())
    assert len(classes) == 1000
    with pytest.raises(DataError, match="no public download"):  # Lab 5 skips that demo
        fetch("mobilenet_v2_approx_top", progress=False)
    assert not (isolated_data / "ChestXRay2017.zip").exists()  # downloaded to derive, then deleted


def test_ctrl_c_says_a_partial_download_is_kept_for_resuming(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "fetch", interrupted)
    assert cli.main(["fetch", "mnist", "-q"]) == 130
    err = capsys.readouterr().err
    assert "no file was left half-written under its final name" in err
    assert "partial download is kept" in err and "resumes it" in err
    assert "nothing half-written was kept" not in err
