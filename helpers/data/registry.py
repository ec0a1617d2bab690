"""Every file the course uses, in one place: its source, checksum, licence and citation.

The facts come from the course mirror's ``PROVENANCE.md``. ``sha256`` and ``size`` describe the
*canonical* download; some mirror copies are faithful rebuilds whose bytes differ (the mirror's
``SHA256SUMS`` lists them), and ``notes`` says which.
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
    citation: str
    description: str
    url: str | None = None
    sha256: str | None = None
    size: int | None = None
    #: For zips: the folder inside the cache that receives the zip's contents.
    extract_to: str | None = None
    notes: str = ""
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
    citation=(
        "Y. LeCun, L. Bottou, Y. Bengio and P. Haffner (1998). Gradient-based learning applied to "
        "document recognition. Proceedings of the IEEE 86(11): 2278-2324."
    ),
    description="MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28, gray.",
    notes=(
        "The mirror's copy (11,490,519 bytes, sha256 06af5dfe...) holds arrays byte-identical to "
        "the original, in order, in another npz container: keras.datasets.mnist.load_data() "
        "rejects it; read it with np.load."
    ),
)

CATS_AND_DOGS = Artifact(
    name="cats_and_dogs",
    filename="cats_and_dogs_filtered.zip",
    url="https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
    size=68_606_236,
    licence="Kaggle Dogs vs. Cats competition terms (research and education use)",
    citation=(
        "J. Elson, J. R. Douceur, J. Howell and J. Saul (2007). Asirra: a CAPTCHA that exploits "
        "interest-aligned manual image categorization. Proc. 14th ACM CCS. Microsoft Research."
    ),
    description=(
        "Google's filtered Kaggle Dogs vs. Cats subset: train/ 1000 cats + 1000 dogs, "
        "validation/ 500 + 500 (JPEG, RGB)."
    ),
    extract_to="cats_and_dogs_filtered",
    notes=(
        "Checked by size (68,606,236 bytes, confirmed by many public download logs) and every "
        "member's CRC: the only sha256 found (91af24e0..., a third-party Git LFS pointer, "
        "HubBucket-Team/depot) could not be checked against the real file, so none is pinned. "
        "The mirror's zip (68,492,311 bytes, sha256 8bf7c54d...) is a rebuild with byte-identical "
        "images (without the zip's vectorize.py)."
    ),
)

CHEST_XRAY = Artifact(
    name="chest_xray",
    filename="chest_xray_small.zip",
    licence="CC BY 4.0",
    citation=(
        "D. S. Kermany, M. Goldbaum, W. Cai et al. (2018). Identifying medical diagnoses and "
        "treatable diseases by image-based deep learning. Cell 172(5): 1122-1131. Data: Kermany, "
        "Zhang, Goldbaum (2018), Mendeley Data, doi:10.17632/rscbjbr9sj."
    ),
    description=(
        "Chest X-rays, NORMAL vs PNEUMONIA, grayscale JPEG with shorter side 256 px: "
        "train 1738, val 4, test 208 (1950 images)."
    ),
    extract_to="chest_xray_small",
    notes=(
        "No public download of its own: the course mirror's zip (35,105,651 bytes, sha256 "
        "a2288905...) holds the Flatiron School chest_xray_downsampled/ subset of Kermany et al., "
        "grayscale, LANCZOS to a shorter side of 256 px (no upscaling), JPEG quality 90 (see "
        "PROVENANCE.md). Without the mirror, fetch derives the same images (names, classes, "
        "splits; the bytes may differ) from chest_xray_full by chest_xray_small_manifest.json. "
        "The val split has only 4 images; carve validation out of train."
    ),
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
    citation=CHEST_XRAY.citation,
    description=(
        "The full chest X-ray set of Kermany et al. (pediatric, NORMAL vs PNEUMONIA, JPEG): "
        "train 5232 (1349 + 3883), test 624 (234 + 390); about 1.2 GB."
    ),
    extract_to="chest_xray_full",
    approx_size=1_200_000_000,
    notes=(
        "Mendeley Data doi:10.17632/rscbjbr9sj, version 2; the URL is the file's public download "
        "link (it redirects to the storage host), as in many public scripts. No size or sha256 is "
        "pinned (a third-party script records 1,235,512,464 bytes, unchecked: no mirror copy), so "
        "a download is accepted unchecked and recorded in the cache's sidecar. Kaggle's copy "
        "(paultimothymooney/chest-xray-pneumonia: the same images plus a 16-image val/) works "
        "too, put in a mirror under this name with its SHA256SUMS line. The source chest_xray is "
        "derived from without a mirror; arrange_chest_xray_full gives it chest_xray's layout."
    ),
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
    size=9_406_464,
    licence="Apache-2.0",
    citation=(
        "M. Sandler, A. Howard, M. Zhu, A. Zhmoginov and L.-C. Chen (2018). MobileNetV2: inverted "
        "residuals and linear bottlenecks. CVPR 2018."
    ),
    description="ImageNet weights for keras.applications.MobileNetV2(include_top=False), 1.0/224.",
    notes=(
        "Keras pins no hash for this file, so a download is checked by size only. The course "
        "mirror's copy (9,421,704 bytes, sha256 71e4c4ec...) was rebuilt from the same TF-slim "
        "checkpoint: values expected identical, file bytes differ. Load it with "
        "MobileNetV2(weights=PATH) or put it in ~/.keras/models/ under this name."
    ),
)

IMAGENET_CLASS_INDEX = Artifact(
    name="imagenet_class_index",
    filename="imagenet_class_index.json",
    url="https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
    sha256="a1e7a966a1f601d39e4b43e119b3e7dd4a2ad3ea08cf69847cbaf021013767bc",
    size=35_363,
    licence="Apache-2.0 (Keras)",
    citation=(
        "Keras (F. Chollet et al.); classes of O. Russakovsky et al. (2015), ImageNet Large Scale "
        "Visual Recognition Challenge, IJCV 115(3): 211-252."
    ),
    description="The 1000 ImageNet class ids and names used by decode_predictions.",
    notes=(
        "The course mirror's copy is byte-identical to Keras' file: its md5 is "
        "c2c37ea517e94d9795004a39431a14cb, the hash Keras pins. Put it in ~/.keras/models/ and "
        "decode_predictions works offline."
    ),
)

MOBILENET_V2_APPROX_TOP = Artifact(
    name="mobilenet_v2_approx_top",
    filename="mobilenet_v2_1.0_224_with_approx_top.h5",
    licence="Apache-2.0 (TF-slim checkpoint backbone; classifier from google-coral/test_data)",
    citation=MOBILENET_V2_NO_TOP.citation,
    description=(
        "MobileNetV2 1.0/224 with a 1000-class head, for demos of ImageNet predictions "
        "(load with MobileNetV2(weights=PATH, include_top=True))."
    ),
    notes=(
        "NOT canonical and NOT the Keras file: the exact backbone above plus an approximate "
        "classifier head dequantized from an int8 Coral model (14,549,768 bytes, sha256 "
        "35095188...). Probabilities differ from genuine Keras output; rankings are sensible. "
        "Never rename it to the Keras file name. Only available from the course mirror."
    ),
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
