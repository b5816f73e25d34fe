"""A small convolutional network trained end to end, written as JAX's stax/optimizers
examples are, on a generated data set (no download): 16x16 images of one of four
strokes (horizontal bar, vertical bar, diagonal, square outline) at a random place,
with noise. Two 3x3 convolutions with max pooling, then two dense layers, trained
with Adam; prints the loss and test accuracy per epoch.

    .venv/bin/python examples/cnn.py              # with mirax
    .venv/bin/python examples/cnn.py --with jax   # the same program under JAX
"""
import argparse
import importlib
import time

import numpy as np

SIZE, CLASSES = 16, 4


def strokes(count, rng):
    """`count` images (NHWC, float32) and their labels, one stroke of 6 to 9 pixels each."""
    images = np.zeros((count, SIZE, SIZE, 1), np.float32)
    labels = rng.integers(0, CLASSES, count)
    for image, label in zip(images[..., 0], labels, strict=True):
        length = rng.integers(6, 10)
        top, left = rng.integers(0, SIZE - length, 2)
        span = np.arange(length)
        if label == 0:
            image[top, left + span] = 1
        elif label == 1:
            image[top + span, left] = 1
        elif label == 2:
            image[top + span, left + span] = 1
        else:
            image[top, left + span] = image[top + length - 1, left + span] = 1
            image[top + span, left] = image[top + span, left + length - 1] = 1
    images += rng.normal(0, 0.3, images.shape).astype(np.float32)
    return images, labels


def main(backend, epochs=5, batch_size=128):
    jax = importlib.import_module(backend)
    jnp = importlib.import_module(f"{backend}.numpy")
    stax = importlib.import_module(f"{backend}.example_libraries.stax")
    optimizers = importlib.import_module(f"{backend}.example_libraries.optimizers")

    rng = np.random.default_rng(0)
    train_images, train_labels = strokes(2048, rng)
    test_images, test_labels = strokes(512, rng)

    init_params, predict = stax.serial(
        stax.Conv(8, (3, 3), padding="SAME"), stax.Relu, stax.MaxPool((2, 2), strides=(2, 2)),
        stax.Conv(16, (3, 3), padding="SAME"), stax.Relu, stax.MaxPool((2, 2), strides=(2, 2)),
        stax.Flatten, stax.Dense(64), stax.Relu, stax.Dense(CLASSES), stax.LogSoftmax)

    def loss(params, batch):
        images, labels = batch
        return -jnp.mean(jnp.sum(predict(params, images) * jax.nn.one_hot(labels, CLASSES), axis=-1))

    @jax.jit
    def accuracy(params, images, labels):
        return jnp.mean(jnp.argmax(predict(params, images), axis=-1) == labels)

    opt_init, opt_update, get_params = optimizers.adam(3e-3)

    @jax.jit
    def update(step, opt_state, batch):
        value, grads = jax.value_and_grad(loss)(get_params(opt_state), batch)
        return value, opt_update(step, grads, opt_state)

    _, params = init_params(jax.random.PRNGKey(0), (-1, SIZE, SIZE, 1))
    opt_state = opt_init(params)
    batches = len(train_images) // batch_size
    step = 0
    print(f"{backend}: training a CNN on {len(train_images)} generated 16x16 images, {CLASSES} classes")
    for epoch in range(epochs):
        start = time.perf_counter()
        order = np.random.default_rng(epoch).permutation(len(train_images))
        total = 0.0
        for i in range(batches):
            chosen = order[i * batch_size:(i + 1) * batch_size]
            value, opt_state = update(step, opt_state, (train_images[chosen], train_labels[chosen]))
            total += float(value)
            step += 1
        test = float(accuracy(get_params(opt_state), test_images, test_labels))
        print(f"epoch {epoch}: loss {total / batches:.4f}, test accuracy {test:.3f} "
              f"({time.perf_counter() - start:.2f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--with", dest="backend", default="mirax", choices=["mirax", "jax"])
    parser.add_argument("--epochs", type=int, default=5)
    main(**vars(parser.parse_args()))
