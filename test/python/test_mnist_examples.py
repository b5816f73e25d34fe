"""JAX's MNIST examples (examples/mnist_classifier.py and mnist_vae.py, stax and
optimizers), run as JAX wrote them with `jax` replaced by `mirax` in the source, at a
smaller size and on generated images (the tests have no network for the dataset):
both programs reach JAX's losses, accuracies and sampled images."""
import textwrap

import numpy as np

# The datasets.mnist() stand-in: "images" in [0, 1] whose class decides which pixels are bright.
DATASETS = '''
import numpy as onp

def mnist(permute_train=False):
    rng = onp.random.RandomState(0)
    labels = rng.randint(0, 10, 96)
    images = (rng.rand(96, 28 * 28) * 0.3 + (onp.arange(28 * 28) % 10 == labels[:, None]) * 0.7).astype(onp.float32)
    one_hot = (labels[:, None] == onp.arange(10)).astype(onp.float32)
    return images[:64], one_hot[:64], images[64:], one_hot[64:]
'''

CLASSIFIER = '''
import itertools

import numpy.random as npr

import jax.numpy as jnp
from jax import jit, grad, random
from jax.example_libraries import optimizers
from jax.example_libraries import stax
from jax.example_libraries.stax import Dense, Relu, LogSoftmax


def loss(params, batch):
  inputs, targets = batch
  preds = predict(params, inputs)
  return -jnp.mean(jnp.sum(preds * targets, axis=1))

def accuracy(params, batch):
  inputs, targets = batch
  target_class = jnp.argmax(targets, axis=1)
  predicted_class = jnp.argmax(predict(params, inputs), axis=1)
  return jnp.mean(predicted_class == target_class)

init_random_params, predict = stax.serial(
    Dense(64), Relu,
    Dense(64), Relu,
    Dense(10), LogSoftmax)

rng = random.key(0)
step_size = 0.05
num_epochs = 3
batch_size = 16
momentum_mass = 0.9

train_images, train_labels, test_images, test_labels = datasets.mnist()
num_train = train_images.shape[0]
num_complete_batches, leftover = divmod(num_train, batch_size)
num_batches = num_complete_batches + bool(leftover)

def data_stream():
  rng = npr.RandomState(0)
  while True:
    perm = rng.permutation(num_train)
    for i in range(num_batches):
      batch_idx = perm[i * batch_size:(i + 1) * batch_size]
      yield train_images[batch_idx], train_labels[batch_idx]
batches = data_stream()

opt_init, opt_update, get_params = optimizers.momentum(step_size, mass=momentum_mass)

@jit
def update(i, opt_state, batch):
  params = get_params(opt_state)
  return opt_update(i, grad(loss)(params, batch), opt_state)

_, init_params = init_random_params(rng, (-1, 28 * 28))
opt_state = opt_init(init_params)
itercount = itertools.count()

for epoch in range(num_epochs):
  for _ in range(num_batches):
    opt_state = update(next(itercount), opt_state, next(batches))
  params = get_params(opt_state)
  results.append((loss(params, (train_images, train_labels)), accuracy(params, (train_images, train_labels)),
                  accuracy(params, (test_images, test_labels))))
'''

VAE = '''
import jax
import jax.numpy as jnp
from jax import jit, grad, lax, random
from jax.example_libraries import optimizers
from jax.example_libraries import stax
from jax.example_libraries.stax import Dense, FanOut, Relu, Softplus


def gaussian_kl(mu, sigmasq):
  """KL divergence from a diagonal Gaussian to the standard Gaussian."""
  return -0.5 * jnp.sum(1. + jnp.log(sigmasq) - mu**2. - sigmasq)

def gaussian_sample(rng, mu, sigmasq):
  """Sample a diagonal Gaussian."""
  return mu + jnp.sqrt(sigmasq) * random.normal(rng, mu.shape)

def bernoulli_logpdf(logits, x):
  """Bernoulli log pdf of data x given logits."""
  return -jnp.sum(jnp.logaddexp(0., jnp.where(x, -1., 1.) * logits))

def elbo(rng, params, images):
  """Monte Carlo estimate of the negative evidence lower bound."""
  enc_params, dec_params = params
  mu_z, sigmasq_z = encode(enc_params, images)
  logits_x = decode(dec_params, gaussian_sample(rng, mu_z, sigmasq_z))
  return bernoulli_logpdf(logits_x, images) - gaussian_kl(mu_z, sigmasq_z)

def image_sample(rng, params, nrow, ncol):
  """Sample images from the generative model."""
  _, dec_params = params
  code_rng, img_rng = random.split(rng)
  logits = decode(dec_params, random.normal(code_rng, (nrow * ncol, 10)))
  sampled_images = random.bernoulli(img_rng, jnp.logaddexp(0., logits))
  return image_grid(nrow, ncol, sampled_images, (28, 28))

def image_grid(nrow, ncol, imagevecs, imshape):
  """Reshape a stack of image vectors into an image grid for plotting."""
  images = iter(imagevecs.reshape((-1,) + imshape))
  return jnp.vstack([jnp.hstack([next(images).T for _ in range(ncol)][::-1])
                    for _ in range(nrow)]).T

encoder_init, encode = stax.serial(
    Dense(32), Relu,
    Dense(32), Relu,
    FanOut(2),
    stax.parallel(Dense(10), stax.serial(Dense(10), Softplus)),
)

decoder_init, decode = stax.serial(
    Dense(32), Relu,
    Dense(32), Relu,
    Dense(28 * 28),
)

step_size = 0.001
num_epochs = 2
batch_size = 16
nrow, ncol = 2, 3  # sampled image grid size

test_rng = random.key(1)  # fixed prng key for evaluation

train_images, _, test_images, _ = datasets.mnist(permute_train=True)
num_complete_batches, leftover = divmod(train_images.shape[0], batch_size)
num_batches = num_complete_batches + bool(leftover)

enc_init_rng, dec_init_rng = random.split(random.key(2))
_, init_encoder_params = encoder_init(enc_init_rng, (batch_size, 28 * 28))
_, init_decoder_params = decoder_init(dec_init_rng, (batch_size, 10))
init_params = init_encoder_params, init_decoder_params

opt_init, opt_update, get_params = optimizers.momentum(step_size, mass=0.9)
train_images = jax.device_put(train_images)
test_images = jax.device_put(test_images)

def binarize_batch(rng, i, images):
  i = i % num_batches
  batch = lax.dynamic_slice_in_dim(images, i * batch_size, batch_size)
  return random.bernoulli(rng, batch)

@jit
def run_epoch(rng, opt_state, images):
  def body_fun(i, opt_state):
    elbo_rng, data_rng = random.split(random.fold_in(rng, i))
    batch = binarize_batch(data_rng, i, images)
    loss = lambda params: -elbo(elbo_rng, params, batch) / batch_size
    g = grad(loss)(get_params(opt_state))
    return opt_update(i, g, opt_state)
  return lax.fori_loop(0, num_batches, body_fun, opt_state)

@jit
def evaluate(opt_state, images):
  params = get_params(opt_state)
  elbo_rng, data_rng, image_rng = random.split(test_rng, 3)
  binarized_test = random.bernoulli(data_rng, images)
  test_elbo = elbo(elbo_rng, params, binarized_test) / images.shape[0]
  sampled_images = image_sample(image_rng, params, nrow, ncol)
  return test_elbo, sampled_images

opt_state = opt_init(init_params)
for epoch in range(num_epochs):
  opt_state = run_epoch(random.key(epoch), opt_state, train_images)
  test_elbo, sampled_images = evaluate(opt_state, test_images)
  results.append((test_elbo, sampled_images))
'''


def run(program, library):
    """The program's results, with `jax` in its source replaced by `library`."""
    datasets = {}
    exec(textwrap.dedent(DATASETS), datasets)  # noqa: S102
    scope = {"results": [], "datasets": type("datasets", (), {"mnist": staticmethod(datasets["mnist"])})}
    exec(compile(program.replace("jax", library), f"<{library} example>", "exec"), scope)  # noqa: S102
    return [[np.asarray(x) for x in row] for row in scope["results"]]


def test_mnist_classifier_trains_as_under_jax():
    got, want = run(CLASSIFIER, "mirax"), run(CLASSIFIER, "jax")
    for (loss, train_acc, test_acc), (want_loss, want_train_acc, want_test_acc) in zip(got, want, strict=True):
        np.testing.assert_allclose(loss, want_loss, rtol=1e-4)
        assert (train_acc, test_acc) == (want_train_acc, want_test_acc)
    assert got[-1][0] < got[0][0]


def test_mnist_vae_trains_as_under_jax():
    """The ELBO after each epoch and the images sampled from the decoder (Bernoulli
    draws: the same key and probabilities give the same pixels, bar a probability
    within rounding of its uniform draw)."""
    got, want = run(VAE, "mirax"), run(VAE, "jax")
    for (elbo, images), (want_elbo, want_images) in zip(got, want, strict=True):
        np.testing.assert_allclose(elbo, want_elbo, rtol=1e-4)
        assert images.shape == want_images.shape == (28 * 3, 28 * 2)
        assert np.mean(images != want_images) < 1e-3
