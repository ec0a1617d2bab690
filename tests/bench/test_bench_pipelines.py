"""The two data pipelines see the same images, split as the course loader splits them."""

import numpy as np
import pytest
from PIL import Image

from bench.pipelines import (
    balanced_subset,
    classic_dataset,
    course_data,
    list_cats_and_dogs,
    same_images,
)
from helpers.data.loaders import _first_half_per_class, load_image_folder


@pytest.fixture
def cats_and_dogs(tmp_path):
    """A tiny cats_and_dogs_filtered: train 3+3, validation 4+4, names in natural order."""
    rng = np.random.default_rng(0)
    for split, numbers in (("train", range(3)), ("validation", (2, 10, 3, 11))):
        for animal in ("cats", "dogs"):
            folder = tmp_path / split / animal
            folder.mkdir(parents=True)
            for n in numbers:
                pixels = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{animal[:-1]}.{n}.jpg")
    (tmp_path / "train" / "cats" / ".DS_Store").write_bytes(b"junk")
    return tmp_path


def test_validation_is_the_course_loaders_first_half_per_class(cats_and_dogs):
    files = list_cats_and_dogs(cats_and_dogs)
    assert files.class_names == ["cats", "dogs"]
    assert [f.name for f in files.validation_files] == [
        "cat.2.jpg",
        "cat.3.jpg",
        "dog.2.jpg",
        "dog.3.jpg",
    ]
    assert files.validation_labels.tolist() == [0, 0, 1, 1]
    held_out, _, _ = load_image_folder(cats_and_dogs / "validation", 8)
    course = held_out.subset(_first_half_per_class(held_out))
    assert course.files == files.validation_files
    assert len(files.train_files) == 6 and files.train_labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_the_classic_pipeline_decodes_resizes_and_rescales_every_file(cats_and_dogs):
    files = list_cats_and_dogs(cats_and_dogs)
    data = classic_dataset(
        files.train_files, files.train_labels, batch_size=4, shuffle=True, seed=1
    )
    batches = list(data)
    assert [x.shape[0] for x, _ in batches] == [4, 2]
    x, y = batches[0]
    assert x.shape[1:] == (150, 150, 3) and x.dtype.name == "float32"
    assert 0.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]
    again = np.concatenate([y.numpy() for _, y in data])  # a new epoch decodes again, reshuffled
    assert sorted(again.tolist()) == sorted(labels.tolist())


def test_course_data_on_a_subset_holds_exactly_those_files(cats_and_dogs):
    files = list_cats_and_dogs(cats_and_dogs).subset(4, 2, seed=0)
    assert np.bincount(files.train_labels).tolist() == [2, 2]
    data = course_data(32, files)
    assert data["train"].images.shape == (4, 32, 32, 3) and data["train"].images.dtype == np.uint8
    assert same_images(data, files)
    other = list_cats_and_dogs(cats_and_dogs)
    assert not same_images(data, other)


def test_balanced_subsets_are_deterministic_and_sorted():
    labels = np.array([0] * 10 + [1] * 10)
    chosen = balanced_subset(labels, 6, seed=3)
    assert np.bincount(labels[chosen]).tolist() == [3, 3]
    assert chosen.tolist() == sorted(chosen.tolist())
    assert chosen.tolist() == balanced_subset(labels, 6, seed=3).tolist()
    assert balanced_subset(labels, None).tolist() == list(range(20))


def test_the_throughput_pipeline_only_serves_full_batches():
    from bench.throughput import training_pipeline

    images = np.zeros((10, 8, 8, 3), dtype=np.uint8)
    labels = np.arange(10) % 2
    batches = [x.shape[0] for x, _ in training_pipeline(images, labels, 4).take(6)]
    assert batches == [4] * 6
