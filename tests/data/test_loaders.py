"""The labs' datasets: documented, deterministic splits of the real artifacts, ready to train."""

import hashlib

import numpy as np
import pytest

from helpers.data import DataError, loaders
from helpers.data.loaders import ImageSplit, patient_id


@pytest.fixture(scope="module")
def cats_and_dogs(course_data):
    course_data("cats_and_dogs")  # in the mirror or the cache, else the test skips
    return loaders.load_cats_and_dogs(image_size=32)


def test_mnist_loads_the_original_digits_in_the_original_order(course_data):
    course_data("mnist")
    (x_train, y_train), (x_test, y_test) = loaders.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_a_file_that_is_not_mnist_gets_an_error_naming_it(tmp_path, monkeypatch):
    bad = tmp_path / "mnist.npz"
    np.savez(bad, images=np.zeros(3))
    monkeypatch.setattr(loaders, "fetch", lambda name: bad)
    with pytest.raises(DataError, match=r"mnist\.npz has no x_train, y_train, x_test, y_test"):
        loaders.load_mnist()
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"could not be read.*fetch mnist"):
        loaders.load_mnist()


def test_cats_and_dogs_splits_follow_the_documented_rule(cats_and_dogs):
    assert cats_and_dogs.class_names == ["cats", "dogs"]
    assert cats_and_dogs.counts() == {
        "train": {"cats": 1000, "dogs": 1000},
        "validation": {"cats": 250, "dogs": 250},
        "test": {"cats": 250, "dogs": 250},
    }
    validation_names = {f.name for f in cats_and_dogs["validation"].files}
    test_names = {f.name for f in cats_and_dogs["test"].files}
    assert not validation_names & test_names
    # The documented draw: per class, the half whose names hash lowest with the fixed seed.
    for prefix in ("cat", "dog"):
        names = [f"{prefix}.{number}.jpg" for number in range(2000, 2500)]
        names.sort(
            key=lambda n: hashlib.sha256(f"{loaders.HELD_OUT_SPLIT_SEED}:{n}".encode()).hexdigest()
        )
        assert set(names[:250]) <= validation_names and set(names[250:]) <= test_names
    # A random draw, not a cut by number: both halves span the whole range of file numbers.
    for names in (validation_names, test_names):
        numbers = [int(name.split(".")[1]) for name in names]
        assert min(numbers) < 2050 and max(numbers) > 2450
    assert cats_and_dogs["train"].images.shape[1:] == (32, 32, 3)
    assert cats_and_dogs["train"].images.dtype == np.uint8


def test_cats_and_dogs_train_size_keeps_a_balanced_subset_and_never_cuts_held_out_data(
    course_data,
):
    course_data("cats_and_dogs")
    small = loaders.load_cats_and_dogs(image_size=32, train_size=100, seed=3)
    assert small.counts()["train"] == {"cats": 50, "dogs": 50}
    assert small.counts()["test"] == {"cats": 250, "dogs": 250}
    full = loaders.load_cats_and_dogs(image_size=32)
    assert np.array_equal(small["train"].images, full["train"].take(100, seed=3).images)


def test_labels_match_the_class_folder_of_each_file(cats_and_dogs):
    for split in ("train", "validation", "test"):
        part = cats_and_dogs[split]
        folders = [f.parent.name for f in part.files]
        assert [cats_and_dogs.class_names[i] for i in part.labels] == folders


def test_summary_is_a_readable_table_of_counts(cats_and_dogs):
    lines = cats_and_dogs.summary().splitlines()
    assert lines[0].split() == ["split", "cats", "dogs", "total"]
    assert lines[1].split() == ["train", "1000", "1000", "2000"]


def test_pipeline_batches_shuffles_training_only_and_augments_only_when_asked(cats_and_dogs):
    first = next(iter(cats_and_dogs.pipeline("validation", batch_size=16)))
    again = next(iter(cats_and_dogs.pipeline("validation", batch_size=16)))
    assert first[0].shape == (16, 32, 32, 3)
    assert np.array_equal(first[1], cats_and_dogs["validation"].labels[:16])
    assert np.array_equal(first[0], again[0])
    train_batch = next(iter(cats_and_dogs.pipeline("train", batch_size=64)))
    assert not np.array_equal(train_batch[1], cats_and_dogs["train"].labels[:64])
    calls = []

    def flip(images, training=False):
        calls.append(training)
        return images[:, :, ::-1]

    flipped = next(iter(cats_and_dogs.pipeline("validation", batch_size=16, augment=flip)))
    assert calls == [True]
    assert np.array_equal(flipped[0], first[0][:, :, ::-1])


def test_augmented_training_batches_are_the_same_on_every_run_with_the_same_seed(cats_and_dogs):
    import keras

    def augmented_batches():
        keras.utils.set_random_seed(7)
        augment = keras.Sequential([keras.layers.RandomRotation(0.1), keras.layers.RandomZoom(0.2)])
        pipeline = cats_and_dogs.pipeline("train", batch_size=32, augment=augment, seed=7)
        return np.concatenate([np.asarray(images) for images, _ in pipeline.take(20)])

    first, second = augmented_batches(), augmented_batches()
    assert np.array_equal(first, second)


def test_take_returns_a_balanced_subset():
    split = ImageSplit(
        np.zeros((10, 2, 2, 1), np.uint8), np.array([0] * 6 + [1] * 4), list(range(10))
    )
    subset = split.take(4, seed=1)
    assert np.bincount(subset.labels).tolist() == [2, 2]
    assert split.take(None) is split


def test_patient_ids_group_the_images_of_one_person():
    assert patient_id("train/PNEUMONIA/person1004_bacteria_2935.jpeg") == "person1004"
    assert patient_id("person1004_virus_1688.jpeg") == "person1004"
    assert patient_id("NORMAL/IM-0011-0001-0001.jpeg") == "IM-0011"
    assert patient_id("NORMAL2-IM-0135-0001.jpeg") == "NORMAL2-IM-0135"


def test_chest_xray_validation_is_carved_from_train_by_patient(course_data):
    course_data("chest_xray")
    data = loaders.load_chest_xray(image_size=32)
    counts = data.counts()
    assert counts["test"] == {"NORMAL": 78, "PNEUMONIA": 130}
    train_total = sum(counts["train"].values()) + sum(counts["validation"].values())
    assert train_total == 447 + 1291
    assert 0.12 < sum(counts["validation"].values()) / train_total < 0.28
    train_patients = {patient_id(f) for f in data["train"].files}
    validation_patients = {patient_id(f) for f in data["validation"].files}
    assert not train_patients & validation_patients
    assert data["train"].images.shape[1:] == (32, 32, 1)


def test_the_summary_table_keeps_its_layout():
    def split(labels):
        return ImageSplit(np.zeros((len(labels), 1, 1, 1), np.uint8), np.array(labels), [])

    data = loaders.ImageDataset(
        "x", ["a", "b"], {"train": split([0, 0, 1]), "validation": split([0])}
    )
    assert data.summary().splitlines() == [
        "split         a  b   total",
        "train         2  1       3",
        "validation    1  0       1",
    ]
