"""Deriving chest_xray_small from its public source: the real code path, served on loopback.

The archive is a small synthetic ChestXRay2017.zip in the canonical layout (``chest_xray/train``
and ``chest_xray/test`` only) built at test time from real X-rays of the course mirror (never
committed); a test-only manifest lists just those images.
"""

import dataclasses
import importlib
import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from helpers.data import DataError, fetch, get_artifact, locate
from helpers.data.derive import KEEP_SOURCE_ENV, load_manifest, shrunk
from helpers.data.fetch import source_of
from helpers.data.loaders import load_chest_xray

derive_module = importlib.import_module("helpers.data.derive")

pytestmark = pytest.mark.usefixtures("isolated_data")


def tree(folder: Path) -> list[str]:
    """The image files under ``folder``, relative, sorted (hidden files left out)."""
    return sorted(
        str(p.relative_to(folder).as_posix())
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


def leftovers(folder: Path) -> list[str]:
    """Temporary, partial or derive-only files left in the cache."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith(".") or p.name.endswith((".partial", ".json", ".lock"))
    )


# --- the committed manifest ----------------------------------------------------------------------


def test_the_committed_manifest_lists_the_small_set_with_the_recorded_recipe():
    manifest = load_manifest(get_artifact("chest_xray").manifest)
    counts = Counter(name.rsplit("/", 1)[0] for name in manifest.images)
    assert counts == {
        "train/NORMAL": 447,
        "train/PNEUMONIA": 1291,
        "val/NORMAL": 2,
        "val/PNEUMONIA": 2,
        "test/NORMAL": 78,
        "test/PNEUMONIA": 130,
    }
    recipe = {"mode": "L", "shorter_side": 256, "resample": "LANCZOS", "upscale": False}
    assert manifest.recipe == {**recipe, "format": "JPEG", "quality": 90}
    assert len({name.rsplit("/", 1)[1] for name in manifest.images}) == 1950
    assert {name.rsplit("/", 1)[1] for name in manifest.images if name.startswith("val/")} == {
        "NORMAL2-IM-1437-0001.jpeg",
        "NORMAL2-IM-1440-0001.jpeg",
        "person1947_bacteria_4876.jpeg",
        "person1949_bacteria_4880.jpeg",
    }


def test_the_committed_manifest_is_the_mirror_zip_listing(shared_mirror):
    with zipfile.ZipFile(shared_mirror / "chest_xray_small.zip") as zipped:
        listed = {
            name.split("/", 1)[1]
            for name in zipped.namelist()
            if not name.endswith("/") and name.count("/") == 3
        }
    images = load_manifest(get_artifact("chest_xray").manifest).images
    assert sorted(images) == sorted(listed) and len(images) == len(listed)


@pytest.mark.parametrize("text", ['{"images": [', '{"name": "x"}', "[]"])
def test_a_manifest_that_cannot_be_read_says_how_to_restore_it(tmp_path, text):
    path = tmp_path / "chest_xray_small_manifest.json"
    path.write_text(text)
    with pytest.raises(DataError, match=r"cannot read the derivation manifest .*git checkout"):
        load_manifest(path)


def test_the_recipe_shrinks_to_a_shorter_side_of_256_and_never_enlarges():
    assert shrunk((2000, 1500), 256) == (341, 256)
    assert shrunk((1000, 3000), 256) == (256, 768)
    assert shrunk((482, 209), 256) == (482, 209)  # smaller already: kept as it is
    assert shrunk((256, 300), 256) == (256, 300)


# --- deriving through fetch -----------------------------------------------------------------------


def test_fetch_derives_the_small_set_from_the_canonical_archive(
    xray_source, isolated_data, capsys, make
):
    assert source_of("chest_xray") == "derive"

    folder = fetch("chest_xray")

    assert folder == isolated_data / "chest_xray_small"
    assert tree(folder) == sorted(xray_source.handful)  # val/ restored, unlisted images left out
    for name, original in xray_source.handful.items():
        with Image.open(folder / name) as image, Image.open(io.BytesIO(original)) as small:
            assert image.format == "JPEG" and image.mode == "L"
            if name == xray_source.enlarged:  # a 3x larger RGB original: shrunk to 256 px, gray
                assert min(image.size) == 256
                assert image.width / image.height == pytest.approx(small.width / small.height, 0.02)
            else:  # the course's images are 256 px already: never enlarged
                assert image.size == small.size
    record = json.loads((folder / ".cnn-labs-derived.json").read_text())
    assert record["source"] == {
        "file": "ChestXRay2017.zip",
        "sha256": make.sha256(xray_source.archive),
        "obtained_from": "download",
    }
    manifest = load_manifest(xray_source.manifest)
    assert record["manifest"] == {"file": "test_manifest.json", "sha256": manifest.sha256}
    assert record["recipe"] == manifest.recipe and record["derived_at"].endswith("Z")
    # The 1.2 GB archive was downloaded only to derive: it is deleted, and nothing else is left.
    assert sorted(p.name for p in isolated_data.iterdir()) == ["chest_xray_small"]
    out = capsys.readouterr().out
    assert f"deriving 8 images from {isolated_data / 'ChestXRay2017.zip'}" in out
    assert f"deleted {isolated_data / 'ChestXRay2017.zip'}" in out and KEEP_SOURCE_ENV in out
    assert source_of("chest_xray") == "cache"


def test_a_derived_set_is_reused_without_downloading_again(xray_source, isolated_data):
    folder = fetch("chest_xray", progress=False)
    stamp = (folder / ".cnn-labs-derived.json").stat().st_mtime_ns
    assert fetch("chest_xray", progress=False) == folder
    assert len(xray_source.server.requests) == 1
    assert (folder / ".cnn-labs-derived.json").stat().st_mtime_ns == stamp
    assert locate(get_artifact("chest_xray")).path == folder and source_of("chest_xray") == "cache"


def test_the_labs_load_a_derived_set_like_the_mirror_one(xray_source):
    data = load_chest_xray(image_size=16)
    counts = data.counts()
    assert data.class_names == ["NORMAL", "PNEUMONIA"] and data["train"].images.shape[1:] == (
        16,
        16,
        1,
    )
    assert counts["test"] == {"NORMAL": 1, "PNEUMONIA": 1}
    assert sum(sum(c.values()) for s, c in counts.items() if s != "test") == 4  # val/ unused


def test_a_changed_manifest_derives_again(xray_source, isolated_data, tmp_path, monkeypatch):
    monkeypatch.setenv(KEEP_SOURCE_ENV, "1")
    fetch("chest_xray", progress=False)
    fewer = sorted(xray_source.handful)[1:]
    xray_source.use_manifest(xray_source.write_manifest(tmp_path / "fewer.json", fewer))
    folder = fetch("chest_xray", progress=False)
    assert tree(folder) == fewer
    assert len(xray_source.server.requests) == 1  # the kept archive was used


def test_keep_source_keeps_the_downloaded_archive(xray_source, isolated_data, monkeypatch):
    monkeypatch.setenv(KEEP_SOURCE_ENV, "1")
    fetch("chest_xray", progress=False)
    archive = isolated_data / "ChestXRay2017.zip"
    assert archive.read_bytes() == xray_source.archive
    assert (isolated_data / "ChestXRay2017.zip.sha256").exists()
    assert leftovers(isolated_data) == []
    assert source_of("chest_xray_full") == "cache"


def test_an_archive_already_in_the_cache_is_never_deleted(xray_source, isolated_data):
    fetch("chest_xray_full", progress=False)  # e.g. for Lab 4's level up
    fetch("chest_xray", progress=False)
    assert (isolated_data / "ChestXRay2017.zip").read_bytes() == xray_source.archive
    assert len(xray_source.server.requests) == 1


def test_a_mirror_copy_of_the_source_is_read_in_place(xray_source, make, isolated_data):
    mirror = make.mirror({"ChestXRay2017.zip": xray_source.archive})
    folder = fetch("chest_xray", progress=False)
    assert tree(folder) == sorted(xray_source.handful)
    assert not (isolated_data / "ChestXRay2017.zip").exists()  # nothing copied
    assert (mirror / "ChestXRay2017.zip").exists() and xray_source.server.requests == []
    record = json.loads((folder / ".cnn-labs-derived.json").read_text())
    assert record["source"]["obtained_from"] == "mirror"


def test_a_mirror_with_the_small_zip_wins_over_derivation(xray_source, make):
    zipped = make.zip(
        {f"chest_xray_small/{name}": data for name, data in xray_source.handful.items()}
    )
    make.mirror({"chest_xray_small.zip": zipped})
    folder = fetch("chest_xray", progress=False)
    assert tree(folder) == sorted(xray_source.handful)
    assert xray_source.server.requests == []
    assert not (folder / ".cnn-labs-derived.json").exists()


# --- what goes wrong ------------------------------------------------------------------------------


def test_images_the_archive_lacks_are_named_and_nothing_is_derived(
    xray_source, isolated_data, tmp_path, monkeypatch
):
    names = [*xray_source.handful, "train/NORMAL/IM-9999-0001.jpeg"]
    wrong_class = next(n for n in xray_source.handful if n.startswith("test/NORMAL/"))
    names.remove(wrong_class)
    names.append(wrong_class.replace("NORMAL", "PNEUMONIA"))  # listed under the other class
    xray_source.use_manifest(xray_source.write_manifest(tmp_path / "more.json", names))

    with pytest.raises(DataError) as caught:
        fetch("chest_xray", progress=False)

    message = str(caught.value)
    assert "ChestXRay2017.zip lacks 2 of the 9 images" in message
    assert "train/NORMAL/IM-9999-0001.jpeg" in message
    assert wrong_class.replace("NORMAL", "PNEUMONIA") in message
    assert "archive was kept" in message
    assert not (isolated_data / "chest_xray_small").exists()
    assert (isolated_data / "ChestXRay2017.zip").exists()  # no second 1.2 GB download to retry
    assert [p for p in leftovers(isolated_data) if p.startswith(".")] == []


def test_an_archive_kept_after_a_failed_derivation_is_reused_and_kept(
    xray_source, isolated_data, tmp_path
):
    good = xray_source.manifest
    xray_source.use_manifest(
        xray_source.write_manifest(tmp_path / "bad.json", ["test/NORMAL/x.jpeg"])
    )
    with pytest.raises(DataError, match="lacks 1 of the 1 images"):
        fetch("chest_xray", progress=False)
    xray_source.use_manifest(good)
    fetch("chest_xray", progress=False)  # no second download: the archive is in the cache now
    assert len(xray_source.server.requests) == 1
    assert (isolated_data / "ChestXRay2017.zip").exists()  # not downloaded by this call: kept


def test_a_truncated_archive_is_named_deleted_and_nothing_is_derived(xray_source, isolated_data):
    (xray_source.server.folder / "ChestXRay2017.zip").write_bytes(xray_source.archive[:-5000])
    with pytest.raises(DataError) as caught:
        fetch("chest_xray", progress=False)
    message = str(caught.value)
    assert str(isolated_data / "ChestXRay2017.zip") in message
    assert "not a complete zip archive (truncated?)" in message and "deleted" in message
    assert sorted(p.name for p in isolated_data.iterdir()) == []


def corrupt_member(archive: bytes, name: str) -> tuple[bytes, str]:
    """``archive`` with one byte flipped inside the (stored) data of the image called ``name``."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        info = next(
            i
            for i in zipped.infolist()
            if i.filename.startswith("chest_xray/") and i.filename.endswith("/" + name)
        )
    data = bytearray(archive)
    header = info.header_offset
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    start = header + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data), info.filename


def test_a_corrupt_image_in_the_archive_is_named_and_leaves_no_half_derived_folder(
    xray_source, isolated_data
):
    damaged, member = corrupt_member(xray_source.archive, xray_source.enlarged.rsplit("/", 1)[1])
    (xray_source.server.folder / "ChestXRay2017.zip").write_bytes(damaged)
    with pytest.raises(DataError) as caught:
        fetch("chest_xray", progress=False)
    message = str(caught.value)
    assert str(isolated_data / "ChestXRay2017.zip") in message
    assert f"damaged member {member}" in message and "CRC" in message
    assert sorted(p.name for p in isolated_data.iterdir()) == []  # no folder, no temporaries


def test_an_interrupted_derivation_leaves_nothing_half_done_and_a_rerun_finishes(
    xray_source, isolated_data, monkeypatch
):
    real_derive = derive_module.derive_image
    calls = []

    def crash_on_the_fifth(data, recipe):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real_derive(data, recipe)

    monkeypatch.setattr(derive_module, "derive_image", crash_on_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        fetch("chest_xray", progress=False)
    assert not (isolated_data / "chest_xray_small").exists()
    assert not [p for p in isolated_data.iterdir() if p.name.startswith(".")]

    monkeypatch.setattr(derive_module, "derive_image", real_derive)
    assert tree(fetch("chest_xray", progress=False)) == sorted(xray_source.handful)
    assert len(xray_source.server.requests) == 1  # the first run's archive was used, and kept
    assert sorted(p.name for p in isolated_data.iterdir()) == [
        "ChestXRay2017.zip",
        "ChestXRay2017.zip.sha256",
        "chest_xray_small",
    ]


def test_an_archive_in_another_layout_is_refused(xray_source, make, isolated_data):
    flat = make.zip({"images/a.jpeg": next(iter(xray_source.handful.values()))})
    (xray_source.server.folder / "ChestXRay2017.zip").write_bytes(flat)
    with pytest.raises(DataError, match=r"ChestXRay2017\.zip lacks 8 of the 8 images"):
        fetch("chest_xray", progress=False)
    assert not (isolated_data / "chest_xray_small").exists()


def test_a_failed_source_download_says_what_was_being_derived(xray_source):
    (xray_source.server.folder / "ChestXRay2017.zip").unlink()
    with pytest.raises(DataError) as caught:
        fetch("chest_xray", progress=False)
    message = str(caught.value)
    assert "chest_xray has no download of its own and is derived from chest_xray_full" in message
    assert "404" in message and "CNN_LABS_MIRROR" in message


# --- Lab 4 on a derived set -----------------------------------------------------------------------


@pytest.mark.slow
def test_lab_4_runs_at_smoke_settings_on_a_derived_set(
    chest_xrays, range_server, make, monkeypatch, isolated_data, tmp_path
):
    """All 1,950 course X-rays repackaged in the canonical layout, derived, then Lab 4 on them."""
    import nbformat

    from helpers.config import REPO
    from helpers.data import registry
    from tools.run_solutions import run_notebook

    (range_server.folder / "ChestXRay2017.zip").write_bytes(make.canonical(chest_xrays))
    full = registry.ARTIFACTS["chest_xray_full"]
    url = range_server.url("ChestXRay2017.zip")
    monkeypatch.setitem(registry.ARTIFACTS, "chest_xray_full", dataclasses.replace(full, url=url))
    folder = fetch("chest_xray", progress=False)  # with the committed manifest
    assert len(tree(folder)) == 1950
    assert sorted(p.name for p in isolated_data.iterdir()) == ["chest_xray_small"]

    # The kernel inherits CNN_LABS_DATA (this test's cache) and the empty CNN_LABS_MIRROR.
    smoke = json.loads((REPO / "tools" / "smoke_parameters.json").read_text())["04_chest_xray_lab"]
    out = tmp_path / "04_chest_xray_lab.ipynb"
    result = run_notebook(REPO / "solutions" / "04_chest_xray_lab.ipynb", out, smoke)

    assert result.ok, result.error
    text = "".join(
        output.get("text", "")
        for cell in nbformat.read(out, as_version=4).cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert re.search(r"^test\s+78\s+130\s+208$", text, flags=re.MULTILINE), text[:2000]
    assert 0.0 <= result.metrics["auc"] <= 1.0
    assert len(range_server.requests) == 1  # the lab used the derived set: nothing fetched again
    assert sorted(p.name for p in isolated_data.iterdir()) == ["chest_xray_small"]
