"""Lab 1, answered from the student notebook only: notebooks/01_mnist_convnet.ipynb.

Written without the solution notebook, with names of our own and, where the instructions leave
room, other valid choices: 32-48-64 filters and a 48-unit hidden layer, the convolutions' ReLU as
separate `Activation` layers, the layers collected in a loop, a loss object rather than its name.
tools/answers.py fills these sections into the student notebook; tests/test_filled_in.py runs it.
"""


# %% Exercise 1 (the body of convolve_at)
def convolve_at(image, kernel, row, col):
    weights = np.asarray(kernel, dtype="float64")
    size = weights.shape[0]
    window = np.asarray(image, dtype="float64")[row : row + size, col : col + size]
    return float(np.sum(window * weights))


# %% Exercise 2 (the body of build_model)
def build_model():
    stack = [keras.Input(shape=(28, 28, 1))]
    for depth, width in enumerate((32, 48, 64)):
        stack.append(keras.layers.Conv2D(width, (3, 3)))
        stack.append(keras.layers.Activation("relu"))
        if depth < 2:
            stack.append(keras.layers.MaxPooling2D(pool_size=(2, 2)))
    stack += [
        keras.layers.Flatten(),
        keras.layers.Dense(48),
        keras.layers.Activation("relu"),
        keras.layers.Dense(10, activation="softmax", dtype="float32"),
    ]
    return keras.Sequential(stack, name="digit_convnet")


# %% Exercise 3 (the body of compile_model)
def compile_model(model, decay_steps):
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
