"""Fetching: mirror first, then cache, then download; everything verified, nothing half-written."""

import hashlib
import importlib
import os
import time
import zipfile

import pytest

from helpers.data import DataError, cached_info, fetch, get_artifact

fetch_module = importlib.import_module("helpers.data.fetch")  # the module, not the function
pytestmark = pytest.mark.usefixtures("isolated_data")

PAYLOAD = b"course data\n" * 100


def leftovers(folder):
    """Temporary files or folders left in the cache (names start with a dot)."""
    return (
        sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
        if folder.exists()
        else []
    )


# --- the mirror ---------------------------------------------------------------------------------


def test_a_mirror_file_is_verified_and_copied_into_the_cache(make, isolated_data):
    mirror = make.mirror({"toy.bin": PAYLOAD})
    path = fetch(make.artifact(), progress=False)
    assert path == isolated_data / "toy.bin" and path.read_bytes() == PAYLOAD
    assert path.parent != mirror
    sidecar = (isolated_data / "toy.bin.sha256").read_text()
    assert sidecar == f"{make.sha256(PAYLOAD)}  toy.bin\n"
    assert leftovers(isolated_data) == []


def test_the_real_mirror_provides_the_imagenet_class_index(shared_mirror, isolated_data):
    path = fetch("imagenet_class_index", progress=False)
    assert path == isolated_data / "imagenet_class_index.json"
    data = path.read_bytes()
    assert data == (shared_mirror / "imagenet_class_index.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == get_artifact("imagenet_class_index").sha256
    assert hashlib.md5(data).hexdigest() == "c2c37ea517e94d9795004a39431a14cb"  # Keras' pin


def test_a_damaged_mirror_copy_is_refused_with_both_hashes(make, isolated_data):
    mirror = make.mirror({"toy.bin": PAYLOAD})
    (mirror / "toy.bin").write_bytes(PAYLOAD + b"bit rot")
    with pytest.raises(DataError) as caught:
        fetch(make.artifact(), progress=False)
    message = str(caught.value)
    assert str(mirror / "toy.bin") in message and "damaged" in message
    assert make.sha256(PAYLOAD) in message
    assert make.sha256(PAYLOAD + b"bit rot") in message
    assert not (isolated_data / "toy.bin").exists() and leftovers(isolated_data) == []


def test_a_mirror_setting_that_points_nowhere_names_the_folder_and_the_variable(
    tmp_path, monkeypatch, make
):
    monkeypatch.setenv("CNN_LABS_MIRROR", str(tmp_path / "no-such-mirror"))
    with pytest.raises(DataError, match=r"no-such-mirror.*CNN_LABS_MIRROR.*does not exist"):
        fetch(make.artifact(), progress=False)


def test_a_mirror_file_missing_from_sha256sums_is_ignored_with_a_warning(make):
    make.mirror({"toy.bin": PAYLOAD, "other.bin": b"x"}, listed={"other.bin"})
    with (
        pytest.warns(UserWarning, match=r"toy\.bin is in the mirror but not listed"),
        pytest.raises(DataError, match=r"toy\.bin \(toy\) has no public download.*CNN_LABS_MIRROR"),
    ):
        fetch(make.artifact(), progress=False)


def test_a_file_without_url_or_mirror_explains_how_to_set_the_mirror():
    with pytest.raises(DataError) as caught:
        fetch("chest_xray", progress=False)
    message = str(caught.value)
    assert "chest_xray_small.zip" in message and "no public download" in message
    assert "CNN_LABS_MIRROR" in message and "shared/data" in message


# --- the cache ----------------------------------------------------------------------------------


def test_a_verified_cache_copy_is_reused_without_copying_again(make, monkeypatch):
    make.mirror({"toy.bin": PAYLOAD})
    first = fetch(make.artifact(), progress=False)
    stamp = first.stat().st_mtime_ns

    def no_copy(*args):
        raise AssertionError("the cache copy should have been reused")

    monkeypatch.setattr(fetch_module, "copy_from_mirror", no_copy)
    assert fetch(make.artifact(), progress=False) == first
    assert first.stat().st_mtime_ns == stamp


def test_a_corrupted_cache_copy_is_replaced_with_a_warning(make):
    make.mirror({"toy.bin": PAYLOAD})
    path = fetch(make.artifact(), progress=False)
    path.write_bytes(b"overwritten by accident")
    with pytest.warns(UserWarning, match=r"cache copy corrupted: .*toy\.bin.*fetching it again"):
        assert fetch(make.artifact(), progress=False).read_bytes() == PAYLOAD


def test_a_changed_mirror_file_replaces_the_cache_copy(make):
    make.mirror({"toy.bin": PAYLOAD})
    fetch(make.artifact(), progress=False)
    make.mirror({"toy.bin": b"version 2"})
    assert fetch(make.artifact(), progress=False).read_bytes() == b"version 2"


def test_a_hand_placed_file_with_the_canonical_hash_is_adopted(make, isolated_data):
    isolated_data.mkdir()
    (isolated_data / "toy.bin").write_bytes(PAYLOAD)
    artifact = make.artifact(sha256=make.sha256(PAYLOAD))
    assert fetch(artifact, progress=False).read_bytes() == PAYLOAD
    assert (isolated_data / "toy.bin.sha256").exists()


def test_an_interrupted_copy_leaves_nothing_and_a_rerun_recovers(make, monkeypatch, isolated_data):
    make.mirror({"toy.bin": PAYLOAD})
    real_copy = fetch_module.copy_hashing

    def crash(source, target, *args):
        target.write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch_module, "copy_hashing", crash)
    with pytest.raises(KeyboardInterrupt):
        fetch(make.artifact(), progress=False)
    assert not (isolated_data / "toy.bin").exists() and leftovers(isolated_data) == []
    monkeypatch.setattr(fetch_module, "copy_hashing", real_copy)
    assert fetch(make.artifact(), progress=False).read_bytes() == PAYLOAD


def test_temporaries_of_a_killed_run_are_cleaned_up_later(make, isolated_data):
    isolated_data.mkdir()
    stale = isolated_data / ".toy.bin.0123abcd.part"
    stale.write_bytes(b"half")
    old = time.time() - 2 * fetch_module.STALE_AFTER
    os.utime(stale, (old, old))
    recent = isolated_data / ".toy.bin.4567cdef.part"  # maybe another process, still writing
    recent.write_bytes(b"busy")
    make.mirror({"toy.bin": PAYLOAD})
    fetch(make.artifact(), progress=False)
    assert not stale.exists() and recent.exists()


# --- downloading --------------------------------------------------------------------------------


def test_a_download_is_verified_and_recorded(http_folder, make, isolated_data):
    folder, url = http_folder
    (folder / "toy.bin").write_bytes(PAYLOAD)
    artifact = make.artifact(url=f"{url}/toy.bin", sha256=make.sha256(PAYLOAD), size=len(PAYLOAD))
    path = fetch(artifact, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert (isolated_data / "toy.bin.sha256").read_text().startswith(make.sha256(PAYLOAD))
    assert leftovers(isolated_data) == []


def test_a_download_with_the_wrong_hash_is_discarded(http_folder, make, isolated_data):
    folder, url = http_folder
    (folder / "toy.bin").write_bytes(b"tampered")
    artifact = make.artifact(url=f"{url}/toy.bin", sha256=make.sha256(PAYLOAD))
    with pytest.raises(DataError) as caught:
        fetch(artifact, progress=False)
    message = str(caught.value)
    assert make.sha256(PAYLOAD) in message and make.sha256(b"tampered") in message
    assert "toy.bin" in message and "discarded" in message
    assert not (isolated_data / "toy.bin").exists() and leftovers(isolated_data) == []


def test_a_download_with_the_wrong_size_is_discarded(http_folder, make, isolated_data):
    folder, url = http_folder
    (folder / "toy.bin").write_bytes(PAYLOAD[:-1])
    artifact = make.artifact(url=f"{url}/toy.bin", size=len(PAYLOAD))
    with pytest.raises(DataError, match=r"1,199 bytes but toy\.bin should have 1,200"):
        fetch(artifact, progress=False)
    assert not (isolated_data / "toy.bin").exists() and leftovers(isolated_data) == []


def test_a_missing_url_names_the_url_and_suggests_the_mirror(http_folder, make):
    _, url = http_folder
    artifact = make.artifact(url=f"{url}/gone.bin")
    with pytest.raises(DataError, match=r"downloading http://127.*/gone\.bin failed.*404"):
        fetch(artifact, progress=False)


def test_no_network_names_the_url_and_suggests_the_mirror(make):
    artifact = make.artifact(url="http://127.0.0.1:9/toy.bin")  # the discard port: refused
    with pytest.raises(DataError) as caught:
        fetch(artifact, progress=False)
    assert "http://127.0.0.1:9/toy.bin" in str(caught.value)
    assert "CNN_LABS_MIRROR" in str(caught.value)


# --- zips ----------------------------------------------------------------------------------------

ZIP_FILES = {"toy/train/a/1.txt": b"one", "toy/train/b/2.txt": b"two"}


def zip_artifact(make, **fields):
    """A test zip artifact that extracts into the cache folder "toy"."""
    return make.artifact("toy.zip", extract_to="toy", **fields)


def test_a_zip_is_extracted_with_its_top_folder_unwrapped(make, isolated_data):
    make.mirror({"toy.zip": make.zip(ZIP_FILES, folders=("toy", "toy/train"))})
    folder = fetch(zip_artifact(make), progress=False)
    assert folder == isolated_data / "toy"
    assert (folder / "train" / "a" / "1.txt").read_bytes() == b"one"
    assert (folder / ".cnn-labs-extracted").read_text().split()[1] == "toy.zip"
    assert fetch(zip_artifact(make), extract=False, progress=False) == isolated_data / "toy.zip"
    assert leftovers(isolated_data) == []


def test_a_zip_without_a_single_top_folder_is_extracted_as_is(make):
    make.mirror({"toy.zip": make.zip({"a/1.txt": b"one", "readme.txt": b"hi"})})
    folder = fetch(zip_artifact(make), progress=False)
    assert (folder / "a" / "1.txt").exists() and (folder / "readme.txt").exists()


def test_an_up_to_date_extraction_is_reused(make, monkeypatch):
    make.mirror({"toy.zip": make.zip(ZIP_FILES)})
    fetch(zip_artifact(make), progress=False)
    monkeypatch.setattr(fetch_module, "unpack", lambda *a: pytest.fail("extracted again"))
    assert (fetch(zip_artifact(make), progress=False) / "train" / "b" / "2.txt").exists()


def test_a_changed_zip_is_extracted_afresh(make):
    make.mirror({"toy.zip": make.zip(ZIP_FILES)})
    fetch(zip_artifact(make), progress=False)
    make.mirror({"toy.zip": make.zip({"toy/test/c/3.txt": b"three"})})
    folder = fetch(zip_artifact(make), progress=False)
    assert (folder / "test" / "c" / "3.txt").exists() and not (folder / "train").exists()


def test_a_folder_without_the_marker_is_replaced(make, isolated_data):
    (isolated_data / "toy" / "train").mkdir(parents=True)
    (isolated_data / "toy" / "half-written.txt").write_text("from an interrupted run")
    make.mirror({"toy.zip": make.zip(ZIP_FILES)})
    folder = fetch(zip_artifact(make), progress=False)
    assert not (folder / "half-written.txt").exists()
    assert (folder / "train" / "a" / "1.txt").exists()
    assert leftovers(isolated_data) == []


def test_an_interrupted_extraction_leaves_no_folder_and_a_rerun_recovers(
    make, monkeypatch, isolated_data
):
    make.mirror({"toy.zip": make.zip(ZIP_FILES)})
    real_extract = zipfile.ZipFile.extract
    calls = []

    def crash_on_second_member(self, member, path=None, pwd=None):
        calls.append(member)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_extract(self, member, path, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "extract", crash_on_second_member)
    with pytest.raises(KeyboardInterrupt):
        fetch(zip_artifact(make), progress=False)
    assert not (isolated_data / "toy").exists()
    assert leftovers(isolated_data) == []
    monkeypatch.setattr(zipfile.ZipFile, "extract", real_extract)
    assert (fetch(zip_artifact(make), progress=False) / "train" / "b" / "2.txt").exists()


def test_a_crash_in_the_prepare_step_leaves_no_folder(make, isolated_data):
    make.mirror({"toy.zip": make.zip(ZIP_FILES)})

    def broken_prepare(folder):
        raise RuntimeError("layout step failed")

    with pytest.raises(RuntimeError):
        fetch(zip_artifact(make, prepare=broken_prepare), progress=False)
    assert not (isolated_data / "toy").exists() and leftovers(isolated_data) == []


def test_the_prepare_step_sees_the_content_before_it_is_moved_into_place(make):
    make.mirror({"toy.zip": make.zip(ZIP_FILES)})

    def merge_classes(folder):
        (folder / "train" / "b" / "2.txt").rename(folder / "train" / "a" / "2.txt")
        (folder / "train" / "b").rmdir()

    folder = fetch(zip_artifact(make, prepare=merge_classes), progress=False)
    assert sorted(p.name for p in (folder / "train" / "a").iterdir()) == ["1.txt", "2.txt"]
    assert "prepare: " in (folder / ".cnn-labs-extracted").read_text()


def test_a_truncated_zip_is_named_and_removed(make, isolated_data):
    whole = make.zip({f"toy/{i}.txt": os.urandom(2000) for i in range(5)})
    make.mirror({"toy.zip": whole[: len(whole) // 2]})
    with pytest.raises(DataError) as caught:
        fetch(zip_artifact(make), progress=False)
    message = str(caught.value)
    assert "toy.zip" in message and "not a complete zip" in message
    assert "python -m helpers.data fetch toy" in message
    assert not (isolated_data / "toy.zip").exists() and not (isolated_data / "toy").exists()


def test_a_zip_member_with_a_bad_checksum_is_named(make):
    data = bytearray(make.zip({"toy/a.txt": b"A" * 5000}, folders=()))
    zipped_a = data.find(b"toy/a.txt") + len(b"toy/a.txt")
    data[zipped_a + 5] ^= 0xFF  # flip a bit of the compressed content
    make.mirror({"toy.zip": bytes(data)})
    with pytest.raises(DataError, match=r"toy\.zip.*(damaged member toy/a\.txt|cannot be read)"):
        fetch(zip_artifact(make), progress=False)


@pytest.mark.parametrize("evil", ["../escaped.txt", "/tmp/absolute.txt", "toy/../../up.txt"])
def test_a_zip_with_path_traversal_is_refused(make, isolated_data, evil):
    make.mirror({"toy.zip": make.zip({"toy/ok.txt": b"ok", evil: b"gotcha"})})
    with pytest.raises(DataError, match=r"toy\.zip contains the unsafe path"):
        fetch(zip_artifact(make), progress=False)
    assert not (isolated_data / "toy").exists() and not (isolated_data / "toy.zip").exists()
    assert not (isolated_data.parent / "escaped.txt").exists()
    assert not (isolated_data.parent / "up.txt").exists()


def test_extract_is_refused_for_a_file_that_is_not_a_zip(make):
    make.mirror({"toy.bin": PAYLOAD})
    with pytest.raises(DataError, match="not a zip archive"):
        fetch(make.artifact(), extract=True, progress=False)


# --- cached_info ---------------------------------------------------------------------------------


def test_cached_info_reports_each_artifact_and_where_it_is(make, isolated_data):
    make.mirror({"mnist.npz": PAYLOAD})
    rows = {row["name"]: row for row in cached_info()}
    assert rows["mnist"]["source"] == "mirror" and rows["mnist"]["path"] is None
    assert rows["chest_xray"]["source"] == "missing" and not rows["chest_xray"]["downloadable"]
    fetch("mnist", progress=False)
    mnist = {row["name"]: row for row in cached_info()}["mnist"]
    assert mnist["source"] == "cache" and mnist["path"] == isolated_data / "mnist.npz"
    assert mnist["size"] == len(PAYLOAD) and mnist["licence"].startswith("CC BY-SA 3.0")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("cats_and_dogs", {"train": 2000, "validation": 1000}),
        ("chest_xray", {"train": 1738, "val": 4, "test": 208}),
    ],
)
def test_the_real_zips_extract_to_the_documented_layout(shared_mirror, name, counts):
    folder = fetch(name, progress=False)
    found = {split: sum(1 for p in (folder / split).rglob("*") if p.is_file()) for split in counts}
    assert found == counts
