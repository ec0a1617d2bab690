"""Fetching: mirror first, then cache, then download; everything verified, nothing half-written."""

import dataclasses
import hashlib
import importlib
import json
import os
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from filelock import FileLock

from helpers.config import REPO
from helpers.data import DataError, fetch, get_artifact, locate, source_of

download_module = importlib.import_module("helpers.data.download")
store_module = importlib.import_module("helpers.data.store")
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
        pytest.warns(UserWarning, match=r"toy\.bin is in the mirror but not listed") as caught,
        pytest.raises(DataError, match=r"toy\.bin \(toy\) has no public download.*CNN_LABS_MIRROR"),
    ):
        fetch(make.artifact(), progress=False)
    assert len(caught) == 1  # decided once: one warning


def test_a_file_without_url_or_mirror_explains_how_to_set_the_mirror():
    with pytest.raises(DataError) as caught:
        fetch("mobilenet_v2_approx_top", progress=False)
    message = str(caught.value)
    assert "mobilenet_v2_1.0_224_with_approx_top.h5" in message
    assert "no public download" in message
    assert "CNN_LABS_MIRROR" in message and "shared/data" in message


# --- the cache ----------------------------------------------------------------------------------


def test_a_verified_cache_copy_is_reused_without_copying_again(make, monkeypatch):
    make.mirror({"toy.bin": PAYLOAD})
    first = fetch(make.artifact(), progress=False)
    stamp = first.stat().st_mtime_ns

    def no_copy(*args):
        raise AssertionError("the cache copy should have been reused")

    monkeypatch.setattr(store_module, "copy_from_mirror", no_copy)
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
    real_bar = store_module.tqdm

    class InterruptAfterTheFirstChunk(real_bar):
        def update(self, n=1):
            raise KeyboardInterrupt  # the first chunk is written to the temporary file by now

    monkeypatch.setattr(store_module, "tqdm", InterruptAfterTheFirstChunk)
    with pytest.raises(KeyboardInterrupt):
        fetch(make.artifact(), progress=False)
    assert not (isolated_data / "toy.bin").exists() and leftovers(isolated_data) == []
    monkeypatch.setattr(store_module, "tqdm", real_bar)
    assert fetch(make.artifact(), progress=False).read_bytes() == PAYLOAD


def test_temporaries_of_a_killed_run_are_cleaned_up_later(make, isolated_data):
    isolated_data.mkdir()
    stale = isolated_data / ".toy.bin.0123abcd.part"
    stale.write_bytes(b"half")
    old = time.time() - 2 * store_module.STALE_AFTER
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
    assert fetch(zip_artifact(make), progress=False) == folder  # extracted once
    assert leftovers(isolated_data) == []


def test_a_zip_without_a_single_top_folder_is_extracted_as_is(make):
    make.mirror({"toy.zip": make.zip({"a/1.txt": b"one", "readme.txt": b"hi"})})
    folder = fetch(zip_artifact(make), progress=False)
    assert (folder / "a" / "1.txt").exists() and (folder / "readme.txt").exists()


def test_an_up_to_date_extraction_is_reused(make, monkeypatch):
    make.mirror({"toy.zip": make.zip(ZIP_FILES)})
    fetch(zip_artifact(make), progress=False)
    monkeypatch.setattr(store_module, "unpack", lambda *a: pytest.fail("extracted again"))
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


# --- locate: what fetch will do ------------------------------------------------------------------


def test_locate_says_where_each_artifact_comes_from(make, isolated_data):
    mirror = make.mirror({"mnist.npz": PAYLOAD})
    assert locate(get_artifact("mnist")).path == mirror / "mnist.npz"
    assert source_of("mnist") == "mirror" and source_of("chest_xray") == "derive"
    assert source_of("cats_and_dogs") == "download"
    assert source_of("mobilenet_v2_approx_top") == "missing"
    fetch("mnist", progress=False)
    assert locate(get_artifact("mnist")).path == isolated_data / "mnist.npz"
    assert source_of("mnist") == "cache"


def test_locate_and_fetch_agree_when_the_mirror_has_other_bytes_than_the_cache(make, isolated_data):
    """MNIST's case: a canonical download in the cache, the mirror's faithful rebuild listed."""
    canonical, rebuilt = b"the canonical npz", b"the mirror's rebuilt npz"
    artifact = make.artifact("mnist.npz", sha256=make.sha256(canonical))
    isolated_data.mkdir(parents=True)
    (isolated_data / "mnist.npz").write_bytes(canonical)  # adopted: it has the pinned sha256
    make.mirror({"mnist.npz": rebuilt})
    assert source_of(artifact) == "mirror" and locate(artifact).sha256 == make.sha256(rebuilt)
    assert fetch(artifact, progress=False).read_bytes() == rebuilt  # what locate said
    assert source_of(artifact) == "cache"


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


# --- large downloads: size first, resume after a drop, restart cleanly --------------------------

BIG = bytes(range(256)) * 40  # 10,240 bytes: ten 1,000-byte chunks


@pytest.fixture
def small_chunks(monkeypatch):
    """Read downloads 1,000 bytes at a time, so a 10 kB file has a middle to stop in."""
    monkeypatch.setattr(download_module, "CHUNK", 1000)


def big_artifact(make, server, **fields):
    """A test artifact served as big.bin by the Range server."""
    (server.folder / "big.bin").write_bytes(BIG)
    values = {"url": server.url("big.bin"), "sha256": make.sha256(BIG), "size": len(BIG)}
    return make.artifact("big.bin", **{**values, **fields})


def partial_files(folder):
    """The files of an unfinished download in the cache (its bytes, their record, the lock)."""
    return sorted(
        p.name for p in folder.iterdir() if p.name.endswith((".partial", ".json", ".lock"))
    )


def test_a_dropped_connection_is_resumed_with_a_range_request(
    make, range_server, isolated_data, small_chunks, capsys
):
    artifact = big_artifact(make, range_server)
    range_server.cut_after["/big.bin"] = 4000  # the first response stops after 4,000 bytes

    path = fetch(artifact)

    assert path.read_bytes() == BIG
    assert range_server.ranges("big.bin") == [None, "bytes=4000-"]
    resumed = [r for r in range_server.requests if r["range"]]
    assert resumed[0]["if_range"], "a resumed request names the version it continues"
    out = capsys.readouterr().out
    assert "downloading big.bin (10.2kB)" in out  # the size is said before the bytes flow
    assert "connection dropped after 4.00kB of 10.2kB; resuming" in out
    assert partial_files(isolated_data) == [] and leftovers(isolated_data) == []


def test_an_interrupted_download_is_kept_and_the_next_run_resumes_it(
    make, range_server, isolated_data, small_chunks, monkeypatch
):
    artifact = big_artifact(make, range_server)
    real_bar = store_module.tqdm

    class InterruptHalfWay(real_bar):
        def update(self, n=1):
            super().update(n)
            if self.n >= 5000:
                raise KeyboardInterrupt

    monkeypatch.setattr(store_module, "tqdm", InterruptHalfWay)
    with pytest.raises(KeyboardInterrupt):
        fetch(artifact)  # with progress: a disabled bar counts nothing
    partial = isolated_data / "big.bin.partial"
    assert partial.read_bytes() == BIG[:5000]
    assert not (isolated_data / "big.bin").exists()
    assert set(partial_files(isolated_data)) - {"big.bin.lock"} == {
        "big.bin.partial",
        "big.bin.partial.json",
    }

    monkeypatch.setattr(store_module, "tqdm", real_bar)
    assert fetch(artifact, progress=False).read_bytes() == BIG
    assert range_server.ranges("big.bin") == [None, "bytes=5000-"]
    assert partial_files(isolated_data) == []


def test_a_download_that_keeps_dropping_says_the_part_is_kept(
    make, range_server, isolated_data, small_chunks, monkeypatch
):
    monkeypatch.setattr(download_module, "RESUME_ATTEMPTS", 0)
    artifact = big_artifact(make, range_server)
    range_server.cut_after["/big.bin"] = 3000
    with pytest.raises(DataError) as caught:
        fetch(artifact, progress=False)
    message = str(caught.value)
    assert "stopped after 3,000 of 10,240 bytes" in message
    assert "big.bin.partial" in message and "run the command again to resume" in message
    assert fetch(artifact, progress=False).read_bytes() == BIG
    assert range_server.ranges("big.bin") == [None, "bytes=3000-"]


def test_a_server_that_ignores_range_makes_the_download_start_over(
    make, range_server, isolated_data, small_chunks, capsys
):
    artifact = big_artifact(make, range_server)
    range_server.cut_after["/big.bin"] = 4000
    range_server.ignore_range = True

    assert fetch(artifact).read_bytes() == BIG

    assert range_server.ranges("big.bin") == [None, "bytes=4000-"]
    assert "server sent the whole file again; starting over" in capsys.readouterr().out


def test_a_file_that_changed_on_the_server_is_downloaded_whole(
    make, range_server, isolated_data, small_chunks, monkeypatch
):
    monkeypatch.setattr(download_module, "RESUME_ATTEMPTS", 0)
    (range_server.folder / "big.bin").write_bytes(b"old version " * 1000)
    artifact = make.artifact("big.bin", url=range_server.url("big.bin"), sha256=make.sha256(BIG))
    range_server.cut_after["/big.bin"] = 4000
    with pytest.raises(DataError, match="stopped after 4,000"):
        fetch(artifact, progress=False)
    (range_server.folder / "big.bin").write_bytes(BIG)  # a new ETag: If-Range fails

    assert fetch(artifact, progress=False).read_bytes() == BIG
    assert range_server.requests[-1]["range"] == "bytes=4000-"  # asked to resume, got it whole


def test_a_partial_file_bigger_than_expected_is_restarted_without_range(
    make, range_server, isolated_data, capsys
):
    artifact = big_artifact(make, range_server)
    isolated_data.mkdir()
    (isolated_data / "big.bin.partial").write_bytes(BIG + b"too much")
    record = {"url": artifact.url, "validator": None, "total": None}
    (isolated_data / "big.bin.partial.json").write_text(json.dumps(record))

    assert fetch(artifact).read_bytes() == BIG

    assert range_server.ranges("big.bin") == [None]
    assert "more than the 10,240 expected; starting over" in capsys.readouterr().out


def test_a_partial_file_of_another_url_is_not_resumed(make, range_server, isolated_data):
    artifact = big_artifact(make, range_server)
    isolated_data.mkdir()
    (isolated_data / "big.bin.partial").write_bytes(b"x" * 100)
    record = {"url": "https://elsewhere.example/big.bin", "validator": None, "total": None}
    (isolated_data / "big.bin.partial.json").write_text(json.dumps(record))

    assert fetch(artifact, progress=False).read_bytes() == BIG
    assert range_server.ranges("big.bin") == [None]


def test_a_complete_partial_file_is_verified_without_downloading_again(
    make, range_server, isolated_data
):
    artifact = big_artifact(make, range_server, size=None)
    isolated_data.mkdir()
    (isolated_data / "big.bin.partial").write_bytes(BIG)  # a run that died while verifying
    record = {"url": artifact.url, "validator": None, "total": len(BIG)}
    (isolated_data / "big.bin.partial.json").write_text(json.dumps(record))

    assert fetch(artifact, progress=False).read_bytes() == BIG
    assert range_server.requests == []


def test_a_resume_past_the_end_restarts_cleanly(make, range_server, isolated_data):
    artifact = big_artifact(make, range_server, size=None, sha256=None)
    (range_server.folder / "big.bin").write_bytes(BIG[:2000])  # the file shrank on the server
    isolated_data.mkdir()
    (isolated_data / "big.bin.partial").write_bytes(BIG[:5000])
    record = {"url": artifact.url, "validator": None, "total": None}
    (isolated_data / "big.bin.partial.json").write_text(json.dumps(record))

    assert fetch(artifact, progress=False).read_bytes() == BIG[:2000]
    assert range_server.ranges("big.bin") == ["bytes=5000-", None]  # 416, then from the start


def test_a_second_download_waits_for_the_first_and_then_finds_the_file_done(
    make, range_server, isolated_data, capsys
):
    artifact = big_artifact(make, range_server)
    isolated_data.mkdir()
    first = FileLock(isolated_data / "big.bin.lock")  # held by "another process" downloading
    first.acquire()
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(fetch, artifact)
        time.sleep(0.5)
        assert not second.done()  # it waits
        (isolated_data / "big.bin").write_bytes(BIG)  # the first download finishes
        (isolated_data / "big.bin.sha256").write_text(f"{make.sha256(BIG)}  big.bin\n")
        first.release()
        assert second.result(timeout=10) == isolated_data / "big.bin"
    assert range_server.requests == []  # nothing downloaded twice
    assert "another process is downloading big.bin; waiting" in capsys.readouterr().out


def test_a_lock_left_by_a_download_that_died_does_not_block(make, range_server, isolated_data):
    artifact = big_artifact(make, range_server)
    isolated_data.mkdir()
    (isolated_data / "big.bin.lock").write_text("12345\n")  # nobody holds it
    assert fetch(artifact, progress=False).read_bytes() == BIG


# --- no unconfirmed sha256: a hash nobody could check is not pinned -------------------------------


def test_a_mismatch_with_a_pinned_hash_is_discarded_and_cannot_be_overridden(
    make, range_server, isolated_data
):
    artifact = big_artifact(make, range_server, sha256=make.sha256(b"pinned"))
    with pytest.raises(DataError, match="discarded"):
        fetch(artifact, progress=False)
    with pytest.raises(TypeError):
        fetch(artifact, progress=False, accept_sha256=make.sha256(BIG))  # no such way round
    assert sorted(p.name for p in isolated_data.iterdir()) == ["big.bin.lock"]  # nothing else


def test_cats_and_dogs_is_checked_by_size_with_a_note_on_the_unchecked_hash():
    cats = get_artifact("cats_and_dogs")
    assert cats.sha256 is None and cats.size == 68_606_236
    assert "91af24e0" in (REPO / "data" / "README.md").read_text()  # noted, not pinned
    assert get_artifact("mnist").sha256 is not None
    assert not hasattr(cats, "sha256_unconfirmed")


def test_a_download_of_the_pinned_size_without_a_hash_is_accepted(
    make, range_server, isolated_data, capsys
):
    artifact = dataclasses.replace(big_artifact(make, range_server), sha256=None, size=len(BIG))
    assert fetch(artifact).read_bytes() == BIG
    assert "size checked (no published sha256)" in capsys.readouterr().out
    wrong = dataclasses.replace(artifact, filename="other.bin", size=len(BIG) + 1)
    (range_server.folder / "other.bin").write_bytes(BIG)
    with pytest.raises(DataError, match=f"has {len(BIG):,} bytes but other.bin should have"):
        fetch(dataclasses.replace(wrong, url=range_server.url("other.bin")), progress=False)
