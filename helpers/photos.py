"""A photo of your own, from a file, as the labs' models take it (``load_photo``).

It is decoded and resized exactly as the course's data sets are (``helpers.data.folders``), so a
model sees your photo as it saw the test photos. A path that is not there, or a file that is not
an image, stops with a ``DataError`` saying which file and what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.data.errors import DataError

__all__ = ["load_photo"]

#: The formats the message suggests (Pillow reads more: BMP, GIF, WebP… work too).
FORMATS = "a JPEG or PNG photo"


def load_photo(path: Path | str, image_size: int, color_mode: str = "rgb") -> np.ndarray:
    """One image file as uint8 (image_size, image_size, channels), resized like the labs' data.

    Args:
        path: The photo's file (JPEG, PNG or anything else Pillow reads); ``~`` is expanded.
        image_size: The side, in pixels, the model takes (the lab's ``IMAGE_SIZE``).
        color_mode: ``"rgb"`` (3 channels) or ``"grayscale"`` (1 channel).

    Raises:
        DataError: If the path does not exist, is a folder, or is not a readable image; the
            message names the file and what to do.
    """
    from helpers.data.folders import decode_image

    given = Path(path).expanduser()
    if not given.exists():
        where = given.resolve().parent
        raise DataError(
            f"{given}: no such file (looked in {where}). Set YOUR_PHOTO to the full path of "
            f"{FORMATS}, e.g. YOUR_PHOTO = '/home/you/Pictures/cat.jpg', or to None for a "
            "test photo."
        )
    if given.is_dir():
        raise DataError(
            f"{given} is a folder, not a photo. Set YOUR_PHOTO to one file in it: {FORMATS}."
        )
    try:
        return decode_image(given, image_size, color_mode=color_mode)
    except (OSError, ValueError, SyntaxError) as error:  # Pillow's errors for unreadable files
        raise DataError(
            f"{given} is not an image the course can read ({type(error).__name__}: {error}). "
            f"Point YOUR_PHOTO to {FORMATS}; if it is one, open it in an image viewer to check "
            "that it is not damaged, or save it again as JPEG."
        ) from error
