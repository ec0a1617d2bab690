"""Image folders: scanning class trees, decoding every image mode, and surviving bad input."""

import os

import numpy as np
import pytest
from PIL import Image

from helpers.data import DataError, load_images, scan_image_folder

pytestmark = pytest.mark.usefixtures("isolated_data")


# --- scanning -----------------------------------------------------------------------------------


def test_classes_are_sorted_folders_and_files_come_in_natural_order(tmp_path, make):
    root = make.class_tree(tmp_path / "train", {"dogs": 3, "cats": 12})
    scan = scan_image_folder(root)
    assert scan.class_names == ["cats", "dogs"]
    assert scan.counts == {"cats": 12, "dogs": 3}
    names = [f.name for f in scan.files]
    assert names[:3] == ["cats.0.jpg", "cats.1.jpg", "cats.2.jpg"]
    assert names.index("cats.2.jpg") < names.index("cats.10.jpg")
    assert names[12:] == ["dogs.0.jpg", "dogs.1.jpg", "dogs.2.jpg"]
    assert scan.labels.tolist() == [0] * 12 + [1] * 3
    assert scan.skipped == []


def test_every_image_extension_counts_in_any_case(tmp_path, make):
    root = tmp_path / "train"
    for suffix in (".jpg", ".JPEG", ".png", ".bmp", ".gif", ".WebP"):
        make.image(root / "a" / f"x{suffix}")
    assert scan_image_folder(root).counts == {"a": 6}


def test_junk_files_are_skipped_with_one_warning_naming_them(tmp_path, make):
    root = make.class_tree(tmp_path / "train", {"cats": 2, "dogs": 2})
    (root / "cats" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "dogs" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / "dogs" / "notes.txt").write_text("good dogs")
    (root / "dogs" / ".ipynb_checkpoints").mkdir()
    (root / ".DS_Store").write_bytes(b"\0")
    with pytest.warns(UserWarning) as caught:
        scan = scan_image_folder(root)
    assert len(caught) == 1
    message = str(caught[0].message)
    for name in (".DS_Store x2", "Thumbs.db x1", ".ipynb_checkpoints x1", "notes.txt"):
        assert name in message
    assert scan.counts == {"cats": 2, "dogs": 2}
    assert {p.name for p, _ in scan.skipped} == {
        ".DS_Store",
        "Thumbs.db",
        "notes.txt",
        ".ipynb_checkpoints",
    }


def test_an_empty_class_folder_is_an_error_naming_it(tmp_path, make):
    root = make.class_tree(tmp_path / "train", {"cats": 2})
    (root / "dogs").mkdir()
    (root / "dogs" / ".DS_Store").write_bytes(b"\0")
    with pytest.raises(DataError) as caught:
        scan_image_folder(root)
    message = str(caught.value)
    assert str(root / "dogs") in message and "has no images" in message
    assert ".DS_Store" in message and "shift the label" in message


def test_a_missing_split_names_it_and_says_what_to_do(isolated_data, make):
    root = isolated_data / "cats_and_dogs_filtered"
    make.class_tree(root / "train", {"cats": 1})
    with pytest.raises(DataError) as caught:
        scan_image_folder(root / "validation")
    message = str(caught.value)
    assert f"missing split: {root / 'validation'} does not exist" in message
    assert "has: train" in message
    assert "python -m helpers.data fetch cats_and_dogs" in message


def test_a_folder_without_class_subfolders_is_an_error(tmp_path, make):
    make.image(tmp_path / "flat" / "cat.1.jpg")
    with pytest.raises(DataError, match=r"flat has no class subfolders.*holds 1 image"):
        scan_image_folder(tmp_path / "flat")


# --- decoding -----------------------------------------------------------------------------------


def test_images_are_resized_to_uint8_arrays(tmp_path, make):
    files = [make.image(tmp_path / "a.jpg", size=(500, 375)), make.image(tmp_path / "b.png")]
    images, ok = load_images(files, 32)
    assert images.shape == (2, 32, 32, 3) and images.dtype == np.uint8
    assert ok.tolist() == [True, True]
    assert np.allclose(images[1, 16, 16], (200, 100, 50), atol=2)
    tall, _ = load_images(files, (20, 10), color_mode="grayscale")
    assert tall.shape == (2, 20, 10, 1)


def test_corrupt_and_truncated_jpegs_are_flagged_and_named(tmp_path, make):
    good = tmp_path / "good.jpg"
    good.write_bytes(make.jpeg())
    noise = tmp_path / "noise.jpg"
    noise.write_bytes(os.urandom(2000))
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(make.jpeg()[:-400])
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.warns(UserWarning) as caught:
        images, ok = load_images([good, noise, truncated, empty], 16)
    assert ok.tolist() == [True, False, False, False]
    message = str(caught[0].message)
    assert "3 of 4 image(s) could not be decoded" in message
    for name in ("noise.jpg", "truncated.jpg: image file is truncated", "empty.jpg"):
        assert name in message
    assert "good.jpg" not in message
    assert not images[~ok].any()


def test_grayscale_rgba_and_cmyk_images_load_as_rgb(tmp_path, make):
    gray = make.image(tmp_path / "gray.jpg", "L", 100)
    half = make.image(tmp_path / "half.png", "RGBA", (0, 0, 255, 128))
    clear = make.image(tmp_path / "clear.png", "RGBA", (255, 0, 0, 0))
    cmyk = make.image(tmp_path / "cmyk.jpg", "CMYK", (0, 255, 255, 0))  # pure red in CMYK
    images, ok = load_images([gray, half, clear, cmyk], 8)
    assert ok.all() and images.shape == (4, 8, 8, 3)
    centre = images[:, 4, 4].astype(int)
    assert np.allclose(centre[0], (100, 100, 100), atol=2)
    assert np.allclose(centre[1], (127, 127, 255), atol=2)  # blue at half alpha over white
    assert np.allclose(centre[2], (255, 255, 255), atol=0)  # transparent -> white, not red
    assert np.allclose(centre[3], (255, 0, 0), atol=6)


def test_palette_16_bit_and_bilevel_images_load(tmp_path, make):
    sixteen = tmp_path / "sixteen.png"
    Image.fromarray(np.full((10, 12), 40000, dtype=np.uint16)).save(sixteen)
    palette = tmp_path / "palette.png"
    image = Image.new("P", (12, 10), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.save(palette, transparency=1)
    bilevel = make.image(tmp_path / "bilevel.bmp", "1", 1)
    images, ok = load_images([sixteen, palette, bilevel], 4, color_mode="grayscale")
    assert ok.all()
    assert images[:, 2, 2, 0].tolist() == [round(40000 / 65535 * 255), 255, 255]
