"""h.load_photo: a student's own photo, read like the course's data, or a clear message why not."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from helpers.data.errors import DataError
from helpers.data.folders import decode_image
from helpers.photos import load_photo


def photo(path, size=(64, 48), mode="RGB"):
    """A real image file: a red–blue gradient, saved in the format its suffix names."""
    ramp = np.linspace(0, 255, size[0], dtype=np.uint8)
    pixels = np.zeros((size[1], size[0], 3), np.uint8)
    pixels[..., 0], pixels[..., 2] = ramp, ramp[::-1]
    Image.fromarray(pixels).convert(mode).save(path)
    return path


@pytest.mark.parametrize("name", ["cat.jpg", "cat.PNG", "scan.png"])
def test_a_jpeg_or_png_comes_back_at_the_labs_size_as_the_data_sets_decode_it(tmp_path, name):
    path = photo(tmp_path / name)
    pixels = load_photo(path, 32)
    assert pixels.shape == (32, 32, 3) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels, decode_image(path, 32))  # as the labs' photos
    assert pixels[:, -1, 0].mean() > pixels[:, 0, 0].mean()  # the red ramp survives, left to right


def test_a_grayscale_photo_comes_back_in_rgb_or_in_one_channel_as_asked(tmp_path):
    path = photo(tmp_path / "xray.png", mode="L")
    assert load_photo(path, 16).shape == (16, 16, 3)
    assert load_photo(str(path), 16, color_mode="grayscale").shape == (16, 16, 1)


def test_a_path_that_does_not_exist_names_the_file_and_the_remedy(tmp_path):
    missing = tmp_path / "holiday" / "my_cat.jpg"
    with pytest.raises(DataError) as error:
        load_photo(missing, 32)
    message = str(error.value)
    assert str(missing) in message and "no such file" in message
    assert "YOUR_PHOTO" in message and "None" in message


def test_a_folder_is_not_a_photo(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a photo"):
        load_photo(tmp_path, 32)


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.jpg", b"these are my notes, not a photo\n"), ("empty.png", b""), ("half.jpg", None)],
)
def test_a_file_that_is_not_an_image_says_so_and_what_to_do(tmp_path, name, content):
    path = tmp_path / name
    if content is None:  # a JPEG cut off after its first bytes, like a broken download
        photo(tmp_path / "whole.jpg")
        content = (tmp_path / "whole.jpg").read_bytes()[:200]
    path.write_bytes(content)
    with pytest.raises(DataError) as error:
        load_photo(path, 32)
    message = str(error.value)
    assert str(path) in message and "is not an image the course can read" in message
    assert "JPEG or PNG" in message
