"""The plan before a long fetch: what comes from where, how big, how checked, what is derived."""

import urllib.request

import pytest

from helpers.data.fetch import fetch, locate, source_of
from helpers.data.plan import format_plan, make_plan, verification_of
from helpers.data.registry import get_artifact

pytestmark = pytest.mark.usefixtures("isolated_data")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """A plan never touches the network."""

    def refuse(*args, **kwargs):
        raise AssertionError("the plan tried to download something")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def steps():
    return {step.name: step for step in make_plan()}


def test_without_a_mirror_the_plan_downloads_and_derives_the_chest_xrays():
    plan = steps()
    chest = plan["chest_xray"]
    text = "\n".join(chest.lines)
    assert chest.action == "derive" and chest.internet and chest.approximate
    assert "download ChestXRay2017.zip (about 1.2 GB)" in text
    assert get_artifact("chest_xray_full").url in text
    assert "1,950 images (train 447/1,291, val 2/2, test 78/130)" in text
    assert "chest_xray_small_manifest.json" in text
    assert "grayscale, shorter side 256 px (LANCZOS, no upscaling), JPEG quality 90" in text
    assert "checked by names, counts and decodability" in text
    assert "then delete ChestXRay2017.zip (to keep it: CNN_LABS_KEEP_SOURCE=1" in text
    assert plan["mnist"].action == "download" and "(11.5 MB)" in plan["mnist"].lines[0]
    assert plan["chest_xray_full"].action == "skip"
    assert "only in the course mirror" in plan["mobilenet_v2_approx_top"].lines[0]
    summary = format_plan(make_plan()).splitlines()[-1]
    assert summary == "  to download: about 1.3 GB"


def test_the_plan_says_a_kept_source_is_kept(monkeypatch):
    monkeypatch.setenv("CNN_LABS_KEEP_SOURCE", "1")
    assert "keep ChestXRay2017.zip afterwards" in "\n".join(steps()["chest_xray"].lines)


def test_a_source_in_the_mirror_is_read_in_place_and_nothing_is_downloaded_for_it(make):
    mirror = make.mirror({"ChestXRay2017.zip": b"stand-in"})
    chest = steps()["chest_xray"]
    assert chest.action == "derive" and not chest.internet and chest.download_bytes == 0
    assert f"read ChestXRay2017.zip in place from the mirror: {mirror}" in chest.lines[0]
    assert not any("delete" in line for line in chest.lines)


def test_a_partial_download_is_shown_as_resumed(isolated_data):
    isolated_data.mkdir()
    (isolated_data / "ChestXRay2017.zip.partial").write_bytes(b"x" * 200_000_000)
    chest = steps()["chest_xray"]
    assert "resumes after the 200.0 MB already in ChestXRay2017.zip.partial" in chest.lines[0]
    assert chest.download_bytes == 1_000_000_000


def test_with_the_mirror_everything_is_copied_and_nothing_downloaded(shared_mirror):
    plan = steps()
    assert {name for name, step in plan.items() if step.action == "copy"} == {
        "mnist",
        "cats_and_dogs",
        "chest_xray",
        "mobilenet_v2_no_top",
        "imagenet_class_index",
        "mobilenet_v2_approx_top",
    }
    assert format_plan(make_plan()).endswith("to download: nothing")


def test_every_kind_of_check_is_described():
    assert verification_of(get_artifact("mnist")) == "sha256 pinned and size"
    cats = verification_of(get_artifact("cats_and_dogs"))
    assert cats == "size pinned (no published sha256); every zip member's CRC is checked"
    assert verification_of(get_artifact("mobilenet_v2_no_top")).startswith("size pinned")
    assert "CRC" in verification_of(get_artifact("chest_xray_full"))


def test_plan_and_fetch_agree_when_the_mirror_has_other_bytes_than_the_cache(make, isolated_data):
    """MNIST's case: a canonical download in the cache, the mirror's faithful rebuild listed."""
    canonical, rebuilt = b"the canonical npz", b"the mirror's rebuilt npz"
    artifact = make.artifact("mnist.npz", sha256=make.sha256(canonical))
    isolated_data.mkdir(parents=True)
    (isolated_data / "mnist.npz").write_bytes(canonical)  # adopted: it has the pinned sha256
    make.mirror({"mnist.npz": rebuilt})
    assert source_of(artifact) == "mirror" and locate(artifact).mirror is not None
    (step,) = make_plan([artifact])
    assert step.action == "copy" and "copy from the mirror" in step.lines[0]
    assert fetch(artifact, progress=False).read_bytes() == rebuilt  # what the plan said
    assert source_of(artifact) == "cache"
    assert make_plan([artifact])[0].action == "cached"
