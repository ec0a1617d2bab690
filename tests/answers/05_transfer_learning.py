"""Lab 5, answered from the student notebook only: notebooks/05_transfer_learning.ipynb.

Written without the solution notebook, with names of our own and, where the instructions leave
room, other valid choices: the features computed in a loop, the head grown with `add()`, and the
end-to-end model built by reusing the `extractor` of Exercise 2 (which is exactly
preprocess_input → base(training=False) → GlobalAveragePooling2D) after `augment`.
tools/answers.py fills these sections into the student notebook; tests/test_filled_in.py runs it.
"""

# %% Exercise 1
base = keras.applications.MobileNetV2(
    input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3),
    include_top=False,
    weights=str(weights_path),
)
base.trainable = False

# %% Exercise 2
photo = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))
scaled = keras.applications.mobilenet_v2.preprocess_input(photo)
feature_maps = base(scaled, training=False)
pooled = keras.layers.GlobalAveragePooling2D()(feature_maps)
extractor = keras.Model(photo, pooled, name="mobilenet_features")
features = {}
with h.Timer() as extraction:
    for split_name in ("train", "validation", "test"):
        features[split_name] = extractor.predict(data[split_name].images, batch_size=64, verbose=0)

# %% Exercise 3
head = keras.Sequential(name="cat_or_dog")
head.add(keras.Input((1280,)))
head.add(keras.layers.Dropout(0.2))
head.add(keras.layers.Dense(1, activation="sigmoid"))
head.compile(
    optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
    loss=keras.losses.BinaryCrossentropy(),
    metrics=["accuracy"],
)
with h.Timer() as head_training:
    head_history = head.fit(
        features["train"],
        data["train"].labels,
        validation_data=(features["validation"], data["validation"].labels),
        epochs=HEAD_EPOCHS,
        batch_size=BATCH_SIZE,
        verbose=0,
        callbacks=[h.EpochLogger(every=5)],
    )

# %% Exercise 4
augment = keras.Sequential(
    [
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.1),
        keras.layers.RandomZoom(0.1),
    ],
    name="photo_augmentation",
)
raw_photo = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))
model = keras.Model(raw_photo, head(extractor(augment(raw_photo))), name="end_to_end")

# %% Exercise 5
base.trainable = True
first_tuned = next(i for i, layer in enumerate(base.layers) if layer.name == FINE_TUNE_FROM)
for early_layer in base.layers[:first_tuned]:
    early_layer.trainable = False
for tuned_layer in base.layers[first_tuned:]:
    if isinstance(tuned_layer, keras.layers.BatchNormalization):
        tuned_layer.trainable = False
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=FINE_TUNE_LEARNING_RATE),
    loss="binary_crossentropy",
    metrics=["accuracy"],
)
