"""Lab 2, answered from the student notebook only: notebooks/02_cats_dogs_baseline.ipynb.

Written without the solution notebook, with names of our own and, where the instructions leave
room, other valid choices: the model grown with `add()` in a loop, 24-48-96-96 filters and a
256-unit hidden layer, ReLU as separate `keras.layers.ReLU()` layers, He initialisers passed as
objects. tools/answers.py fills these sections into the student notebook; tests/test_filled_in.py
runs it.
"""


# %% Exercise 1 (the body of build_model)
def build_model(image_size):
    net = keras.Sequential(name="cats_vs_dogs")
    net.add(keras.Input(shape=(image_size, image_size, 3)))
    net.add(keras.layers.Rescaling(scale=1 / 255))
    for channels in (24, 48, 96, 96):
        net.add(keras.layers.Conv2D(channels, 3, kernel_initializer=keras.initializers.HeUniform()))
        net.add(keras.layers.ReLU())
        net.add(keras.layers.MaxPooling2D(2))
    net.add(keras.layers.Flatten())
    net.add(keras.layers.Dense(256, kernel_initializer=keras.initializers.HeUniform()))
    net.add(keras.layers.ReLU())
    net.add(keras.layers.Dense(1, activation="sigmoid", dtype="float32"))
    return net


# %% Exercise 2
keep_best = keras.callbacks.ModelCheckpoint(
    filepath=best_path,
    monitor="val_loss",
    mode="min",
    save_best_only=True,
    save_weights_only=False,
    verbose=0,
)
