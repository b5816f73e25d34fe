"""A differential fuzzer of mirax against JAX (issue 16): random programs over the
jax.numpy / lax surface under transformation stacks, run by both libraries in a
worker subprocess, compared by shape, dtype and value, failures minimized into
standalone reproducers. `make fuzz N=1000 SEED=0`; test/python/test_fuzz_batch.py
runs a fixed batch in CI."""
