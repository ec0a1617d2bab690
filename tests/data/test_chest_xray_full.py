"""The full chest X-ray set (ChestXRay2017.zip): its registry entry and its ``prepare`` layout step.

The real zip is 1.2 GB, so every test builds a tiny fake of its extracted tree in ``tmp_path``.
"""

from pathlib import Path

import pytest

from helpers.data import DataError, fetch, get_artifact
from helpers.data.loaders import is_validation_patient, load_chest_xray, load_image_folder
from helpers.data.registry import arrange_chest_xray_full

pytestmark = pytest.mark.usefixtures("isolated_data")

CLASSES = ("NORMAL", "PNEUMONIA")


def fake_split(root: Path, split: str, make, per_class: int = 2) -> None:
    """``root/<split>/{NORMAL,PNEUMONIA}/`` with a few small JPEGs named like the real files."""
    for index in range(per_class):
        make.image(root / split / "NORMAL" / f"IM-{index:04d}-0001.jpeg", mode="L", color=90)
        make.image(
            root / split / "PNEUMONIA" / f"person{index}_bacteria_{index}.jpeg", mode="L", color=90
        )


def tree(folder: Path) -> list[str]:
    """Every path under ``folder``, relative and sorted, folders marked with a trailing slash."""
    return sorted(
        str(p.relative_to(folder)) + ("/" if p.is_dir() else "") for p in folder.rglob("*")
    )


def expected_tree(splits: tuple[str, ...], per_class: int = 2) -> list[str]:
    paths = []
    for split in splits:
        paths.append(f"{split}/")
        for index in range(per_class):
            paths.append(f"{split}/NORMAL/IM-{index:04d}-0001.jpeg")
            paths.append(f"{split}/PNEUMONIA/person{index}_bacteria_{index}.jpeg")
        paths += [f"{split}/NORMAL/", f"{split}/PNEUMONIA/"]
    return sorted(paths)


def test_the_registry_entry_is_the_optional_mendeley_download():
    full = get_artifact("chest_xray_full")
    assert full.optional and full.is_archive and full.extract_to == "chest_xray_full"
    assert full.filename == "ChestXRay2017.zip" and full.licence == "CC BY 4.0"
    assert full.url.startswith("https://data.mendeley.com/") and "rscbjbr9sj" in full.url
    assert full.prepare is arrange_chest_xray_full


def test_the_mendeley_layout_is_kept_and_stray_files_are_removed(tmp_path, make):
    # fetch unwraps the zip's single top folder chest_xray/, so prepare sees train/ and test/.
    extracted = tmp_path / "chest_xray"
    fake_split(extracted, "train", make)
    fake_split(extracted, "test", make)
    (extracted / "notes.txt").write_text("stray")

    arrange_chest_xray_full(extracted)

    assert tree(extracted) == expected_tree(("test", "train"))


def test_a_wrapped_layout_is_moved_up_to_the_top(tmp_path, make):
    extracted = tmp_path / "extracted"
    fake_split(extracted / "chest_xray", "train", make)
    fake_split(extracted / "chest_xray", "test", make)
    (extracted / "README.txt").write_text("a second top-level entry: nothing was unwrapped")

    arrange_chest_xray_full(extracted)

    assert tree(extracted) == expected_tree(("test", "train"))


def test_the_kaggle_layout_keeps_val_and_drops_the_nested_duplicate(tmp_path, make):
    extracted = tmp_path / "chest_xray"
    for split in ("train", "val", "test"):
        fake_split(extracted, split, make)
        fake_split(extracted / "chest_xray", split, make)  # Kaggle's duplicate copy
    (extracted / "__MACOSX").mkdir()

    arrange_chest_xray_full(extracted)

    assert tree(extracted) == expected_tree(("test", "train", "val"))


def test_the_arranged_folder_reads_like_chest_xray_small(tmp_path, make):
    extracted = tmp_path / "chest_xray"
    fake_split(extracted / "chest_xray", "train", make, per_class=3)
    fake_split(extracted / "chest_xray", "test", make)
    (extracted / "other").mkdir()

    arrange_chest_xray_full(extracted)
    train, class_names, skipped = load_image_folder(extracted / "train", 16, "grayscale")

    assert class_names == list(CLASSES) and skipped == []
    assert train.images.shape == (6, 16, 16, 1) and train.labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_an_unexpected_layout_is_refused_and_left_untouched(tmp_path, make):
    extracted = tmp_path / "extracted"
    fake_split(extracted, "train", make)  # no test/
    before = tree(extracted)

    with pytest.raises(DataError, match="does not look like an extracted ChestXRay2017.zip"):
        arrange_chest_xray_full(extracted)

    assert tree(extracted) == before


def test_fetch_runs_the_prepare_step_on_a_mirrored_zip(tmp_path, make):
    files = {}
    for split in ("train", "test"):
        for index, name in enumerate(CLASSES):
            files[f"chest_xray/{split}/{name}/{name}-{index}.jpeg"] = make.jpeg(mode="L")
    files["chest_xray/.DS_Store"] = b"junk"
    make.mirror({"ChestXRay2017.zip": make.zip(files)})

    folder = fetch("chest_xray_full", progress=False)

    assert folder.name == "chest_xray_full"
    assert sorted(p.name for p in folder.iterdir()) == [".cnn-labs-extracted", "test", "train"]
    assert sorted(p.name for p in (folder / "test").iterdir()) == list(CLASSES)
    assert "prepare: arrange_chest_xray_full" in (folder / ".cnn-labs-extracted").read_text()


def test_load_chest_xray_full_reads_the_full_set_with_the_same_patient_rule(make):
    files = {}
    for split in ("train", "val", "test"):
        for index in range(10):
            files[f"chest_xray/{split}/NORMAL/IM-{index:04d}-0001.jpeg"] = make.jpeg(mode="L")
            files[f"chest_xray/{split}/PNEUMONIA/person{index}_virus_{index}.jpeg"] = make.jpeg(
                mode="L"
            )
    make.mirror({"ChestXRay2017.zip": make.zip(files)})

    data = load_chest_xray(image_size=16, full=True)

    assert data.name == "chest_xray_full" and data.class_names == list(CLASSES)
    assert data["train"].images.shape[1:] == (16, 16, 1)
    assert len(data["train"]) + len(data["validation"]) == 20 and len(data["test"]) == 20
    assert data["validation"].files, "the patient rule puts some of the 20 patients in validation"
    assert all(is_validation_patient(f) for f in data["validation"].files)
    assert not any(is_validation_patient(f) for f in data["train"].files)
    assert not any("val" in f.parts for f in data["train"].files + data["validation"].files)
