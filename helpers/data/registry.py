"""Every file the course uses: where it comes from and how it is checked.

``sha256`` and ``size`` describe the *canonical* download; some mirror copies are faithful
rebuilds whose bytes differ (the mirror's ``SHA256SUMS`` lists them). What each file is, its
citation and its provenance are written once, for people, in ``data/README.md``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpers.data.errors import DataError

__all__ = ["ARTIFACTS", "Artifact", "arrange_chest_xray_full", "get_artifact"]

#: Files and folders operating systems leave behind (compared case-insensitively); skipped in
#: zips, extracted archives and image folders alike.
JUNK_NAMES = frozenset({"__macosx", ".ds_store", "thumbs.db", "desktop.ini"})
#: The split folders of the Kermany chest X-ray layout (``val/`` only in some copies) and classes.
CHEST_XRAY_SPLITS = ("train", "val", "test")
CHEST_XRAY_CLASSES = ("NORMAL", "PNEUMONIA")


def is_junk(name: str) -> bool:
    """True for hidden files and OS junk such as ``.DS_Store`` or ``__MACOSX``."""
    return name.startswith(".") or name.casefold() in JUNK_NAMES


def arrange_chest_xray_full(folder: Path) -> None:
    """Give an extracted ``ChestXRay2017.zip`` chest_xray_small's layout, in place.

    The shallowest folder (up to 3 levels down) holding ``train/`` and ``test/`` with ``NORMAL/``
    and ``PNEUMONIA/`` wins (Mendeley wraps them in ``chest_xray/``; Kaggle adds ``val/`` and a
    nested duplicate); its splits move to ``folder`` and everything else is deleted.
    """
    levels = [[folder], *(sorted(folder.glob("/".join("*" * depth))) for depth in (1, 2, 3))]
    roots = [
        path
        for level in levels
        for path in level
        if not any(is_junk(part) for part in path.relative_to(folder).parts)
        and all((path / s / c).is_dir() for s in ("train", "test") for c in CHEST_XRAY_CLASSES)
    ]
    if not roots:
        raise DataError(
            f"{folder} does not look like an extracted ChestXRay2017.zip: no folder in it (up to "
            "3 levels deep) holds train/ and test/ with NORMAL/ and PNEUMONIA/ inside. Delete "
            "the zip from the data cache and fetch chest_xray_full again."
        )
    staged = {}
    for split in CHEST_XRAY_SPLITS:
        if (roots[0] / split).is_dir():
            staged[split] = (roots[0] / split).rename(folder / f".arranging-{split}")
    for entry in set(folder.iterdir()) - set(staged.values()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for split, path in staged.items():
        path.rename(folder / split)


@dataclass(frozen=True)
class Artifact:
    """One downloadable file (or zip archive) and everything known about where it comes from."""

    name: str
    filename: str
    licence: str
    url: str | None = None
    sha256: str | None = None
    size: int | None = None
    #: For zips: the folder inside the cache that receives the zip's contents.
    extract_to: str | None = None
    #: Optional artifacts are left out of ``fetch all`` unless the mirror or cache has them.
    optional: bool = False
    #: Called with the freshly extracted folder before it is moved into place.
    prepare: Callable[[Path], None] | None = None
    #: Rough download size, said when the exact ``size`` is not pinned (never checked).
    approx_size: int | None = None
    #: Without a public download: the artifact it is derived from and the manifest (derive.py).
    derived_from: str | None = None
    manifest: Path | None = None

    @property
    def is_archive(self) -> bool:
        """True for zips that ``fetch`` extracts into ``extract_to``."""
        return self.extract_to is not None


MNIST = Artifact(
    name="mnist",
    filename="mnist.npz",
    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    size=11_490_434,
    licence="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
)

CATS_AND_DOGS = Artifact(
    name="cats_and_dogs",
    filename="cats_and_dogs_filtered.zip",
    url="https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
    size=68_606_236,
    licence="Kaggle Dogs vs. Cats competition terms (research and education use)",
    # No sha256: the only one found is a third party's, unconfirmed (data/README.md). Checked by
    # its confirmed size and by every zip member's CRC.
    extract_to="cats_and_dogs_filtered",
)

CHEST_XRAY = Artifact(
    name="chest_xray",
    filename="chest_xray_small.zip",
    licence="CC BY 4.0",
    extract_to="chest_xray_small",
    derived_from="chest_xray_full",
    manifest=Path(__file__).with_name("chest_xray_small_manifest.json"),
)

CHEST_XRAY_FULL = Artifact(
    name="chest_xray_full",
    filename="ChestXRay2017.zip",
    url=(
        "https://data.mendeley.com/public-files/datasets/rscbjbr9sj/files/"
        "f12eaf6d-6023-432f-acc9-80c9d7393433/file_downloaded"
    ),
    licence="CC BY 4.0",
    extract_to="chest_xray_full",
    approx_size=1_200_000_000,  # neither size nor sha256 is published: the hash is recorded
    optional=True,
    prepare=arrange_chest_xray_full,
)

MOBILENET_V2_NO_TOP = Artifact(
    name="mobilenet_v2_no_top",
    filename="mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
    url=(
        "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
    ),
    size=9_406_464,  # Keras pins no hash for it: checked by size
    licence="Apache-2.0",
)

IMAGENET_CLASS_INDEX = Artifact(
    name="imagenet_class_index",
    filename="imagenet_class_index.json",
    url="https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
    sha256="a1e7a966a1f601d39e4b43e119b3e7dd4a2ad3ea08cf69847cbaf021013767bc",
    size=35_363,
    licence="Apache-2.0 (Keras)",
)

MOBILENET_V2_APPROX_TOP = Artifact(
    name="mobilenet_v2_approx_top",
    filename="mobilenet_v2_1.0_224_with_approx_top.h5",  # not Keras' file: mirror only
    licence="Apache-2.0 (TF-slim checkpoint backbone; classifier from google-coral/test_data)",
    optional=True,
)

#: Every artifact by name, in the order defined above (the order ``fetch all`` follows).
ARTIFACTS: dict[str, Artifact] = {
    a.name: a for a in list(globals().values()) if isinstance(a, Artifact)
}


def get_artifact(name: str) -> Artifact:
    """The registry entry called ``name``; a DataError lists the valid names when there is none."""
    try:
        return ARTIFACTS[name]
    except KeyError:
        valid = ", ".join(ARTIFACTS)
        raise DataError(f"unknown artifact {name!r}; valid names are: {valid}") from None
