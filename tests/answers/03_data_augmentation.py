"""Lab 3, answered from the student notebook only: notebooks/03_data_augmentation.ipynb.

Written without the solution notebook, with names of our own and, where the instructions leave
room, other valid choices: explicit (lower, upper) ranges, Lab 2's network as answered in
tests/answers/02_cats_dogs_baseline.py (24-48-96-96 filters, a 256-unit hidden layer, separate
ReLU layers) built from a list, and `Activation("relu")` inside the residual block.
tools/answers.py fills these sections into the student notebook; tests/test_filled_in.py runs it.
"""


# %% Exercise 1 (the body of build_augmentation)
def build_augmentation(strength=1.0):
    turn = strength * 40 / 360
    shift = strength * 0.2
    zoom = strength * 0.2
    common = {"fill_mode": "nearest", "dtype": "float32"}
    stage = keras.Sequential(name="augmentation")
    stage.add(keras.layers.RandomFlip(mode="horizontal", dtype="float32"))
    stage.add(keras.layers.RandomRotation(factor=(-turn, turn), **common))
    stage.add(
        keras.layers.RandomTranslation(
            height_factor=(-shift, shift), width_factor=(-shift, shift), **common
        )
    )
    stage.add(
        keras.layers.RandomZoom(height_factor=(-zoom, zoom), width_factor=(-zoom, zoom), **common)
    )
    return stage


# %% Exercise 2 (the body of build_model)
def build_model(image_size, dropout):
    he = "he_uniform"
    stack = [keras.Input(shape=(image_size, image_size, 3)), keras.layers.Rescaling(1 / 255)]
    for channels in (24, 48, 96, 96):
        stack += [
            keras.layers.Conv2D(channels, 3, kernel_initializer=he),
            keras.layers.ReLU(),
            keras.layers.MaxPooling2D(2),
        ]
    stack.append(keras.layers.Flatten())
    if dropout > 0:
        stack.append(keras.layers.Dropout(rate=dropout))
    stack += [
        keras.layers.Dense(256, kernel_initializer=he),
        keras.layers.ReLU(),
        keras.layers.Dense(1, activation="sigmoid", dtype="float32"),
    ]
    return keras.Sequential(stack)


# %% Exercise 3 (the body of residual_block)
def residual_block(x, filters, strides=1):
    main = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    main = keras.layers.BatchNormalization()(main)
    main = keras.layers.Activation("relu")(main)
    main = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(main)
    main = keras.layers.BatchNormalization()(main)
    if strides == 1 and x.shape[-1] == filters:
        skip = x
    else:
        skip = keras.layers.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
        skip = keras.layers.BatchNormalization()(skip)
    return keras.layers.ReLU()(keras.layers.Add()([skip, main]))
