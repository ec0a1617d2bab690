"""Lab 4, answered from the student notebook only: notebooks/04_chest_xray_lab.ipynb.

Written without the solution notebook, with names of our own and, where the instructions leave
room, other valid choices: a functional model with separate `Activation` layers, 32-48-64-96
filters and no hidden Dense layer; the metrics counted with boolean masks; class weights by a
loop; oversampling drawn with `rng.choice` and shuffled; the threshold found by sorting and
`np.searchsorted` rather than by trying each candidate in turn. tools/answers.py fills these
sections into the student notebook; tests/test_filled_in.py runs it.
"""

# %% Exercise 1
data = h.load_chest_xray(IMAGE_SIZE, full=FULL_DATASET, train_size=TRAIN_SIZE, seed=SEED)
print(data.summary())
xrays = data["train"]
rows = [
    np.flatnonzero(xrays.labels == data.class_names.index(name))[:8]
    for name in ("NORMAL", "PNEUMONIA")
]
shown_xrays = np.concatenate(rows)
fig = h.show_images(
    xrays.images[shown_xrays],
    xrays.labels[shown_xrays],
    class_names=data.class_names,
    ncols=8,
    title="Training X-rays: NORMAL (top row), PNEUMONIA (bottom row)",
)


# %% Exercise 2 (the body of build_model)
def build_model(image_size):
    pixels = keras.Input(shape=(image_size, image_size, 1))
    x = keras.layers.Rescaling(1.0 / 255)(pixels)
    for channels in (32, 48, 64, 96):
        x = keras.layers.Conv2D(channels, 3)(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.4)(x)
    pneumonia = keras.layers.Dense(1, activation="sigmoid", dtype="float32")(x)
    return keras.Model(pixels, pneumonia, name="xray_convnet")


# %% Exercise 3 (the body of clinical_metrics)
def clinical_metrics(labels, probabilities, threshold=0.5):
    sick = np.asarray(labels).astype(bool)
    flagged = np.asarray(probabilities) >= threshold
    tp = np.count_nonzero(sick & flagged)
    fn = np.count_nonzero(sick & ~flagged)
    tn = np.count_nonzero(~sick & ~flagged)
    fp = np.count_nonzero(~sick & flagged)

    def ratio(part, whole):
        return float(part / whole) if whole else 0.0

    return {
        "accuracy": ratio(tp + tn, sick.size),
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "precision": ratio(tp, tp + fp),
    }


# %% Exercise 4
train_labels = data["train"].labels
class_weight = {}
for label in (0, 1):
    class_weight[label] = float(len(train_labels) / (2 * np.sum(train_labels == label)))
print("class weights:", class_weight)


def oversample(labels, seed):
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    per_class = np.bincount(labels, minlength=2)
    rare = int(np.argmin(per_class))
    repeats = rng.choice(np.flatnonzero(labels == rare), size=per_class.max() - per_class.min())
    return rng.permutation(np.concatenate([np.arange(len(labels)), repeats]))


# %% Exercise 5
augment = keras.Sequential(
    [
        keras.layers.RandomRotation(0.03, fill_mode="constant"),
        keras.layers.RandomTranslation(0.05, 0.05, fill_mode="constant"),
        keras.layers.RandomZoom(0.1, 0.25, fill_mode="constant"),
        keras.layers.RandomContrast(0.2),
    ],
    name="xray_augmentation",
)
one_xray = data["train"].images[0]
fig = h.show_augmentations(
    one_xray, augment, n=7, ncols=4, seed=SEED, title="One X-ray, 7 augmentations"
)

# %% Exercise 6
h.set_seed(SEED)
model = build_model(IMAGE_SIZE)
cosine = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=EPOCHS * steps_per_epoch)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=cosine),
    loss=keras.losses.BinaryCrossentropy(),
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
)
with h.Timer() as training:
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=EPOCHS,
        class_weight=fit_class_weight,
        shuffle=False,
        verbose=0,
        callbacks=[h.EpochLogger(every=5)],
    )

# %% Exercise 7
fig = h.plot_history(
    history, metrics=("loss", "auc", "accuracy"), title="Chest X-rays: training vs validation"
)
model_path = h.models_dir() / "04_chest_xray.keras"
model.save(model_path)
reloaded = keras.models.load_model(model_path)
print(f"saved to {model_path} and loaded back")

# %% Exercise 8
val_probabilities = model.predict(data["validation"].images, verbose=0)[:, 0]
y_validation = data["validation"].labels
candidates = np.unique(val_probabilities)
sick_scores = np.sort(val_probabilities[y_validation == 1])
caught = len(sick_scores) - np.searchsorted(sick_scores, candidates, side="left")
good_enough = caught / len(sick_scores) >= TARGET_SENSITIVITY
threshold = float(candidates[good_enough].max())
for label, cut in (("0.5", 0.5), (f"{threshold:.3f}", threshold)):
    print(
        f"validation at threshold {label}:", clinical_metrics(y_validation, val_probabilities, cut)
    )

# %% Exercise 9
test_probabilities = model.predict(data["test"].images, verbose=0)[:, 0]
test_metrics = clinical_metrics(data["test"].labels, test_probabilities, threshold=threshold)
test_auc = roc_auc_score(data["test"].labels, test_probabilities)
metrics_at_half = clinical_metrics(data["test"].labels, test_probabilities, threshold=0.5)
print(f"test at the chosen threshold {threshold:.3f}:", test_metrics)
print("test at 0.5 (for comparison only):", metrics_at_half)
print(f"test AUC {test_auc:.3f}")
