"""Running the seeds' programs and comparing what they print with the seeds' text.

The seeds' outputs come from notebooks that collapsed runs of spaces, so outputs are
compared token by token: words exactly, numbers to float32 rounding (JAX's own
jacfwd and jacrev differ in the last printed digit)."""
import re
import subprocess
import sys
import textwrap

import numpy as np

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$")


def tokens(text):
    """Words and numbers, with brackets and commas as tokens of their own."""
    return re.findall(r"[\[\](),:]|[^\s\[\](),:]+", text)


def _number(token):
    """The token as a (complex) number, or None."""
    if NUMBER.match(token):
        return float(token)
    try:
        return complex(token) if token.endswith("j") else None
    except ValueError:
        return None


def same_output(got, want):
    """Token by token: numbers (complex ones too) within float32 rounding of the seed's
    printed digits (2 ulp relative, and 1e-7 absolute for values that are rounding
    noise around 0), everything else exactly. Returns the first difference, or None."""
    got_tokens, want_tokens = tokens(got), tokens(want)
    if len(got_tokens) != len(want_tokens):
        return f"{len(got_tokens)} tokens printed, the seed has {len(want_tokens)}"
    for i, (g, w) in enumerate(zip(got_tokens, want_tokens, strict=True)):
        g_number, w_number = _number(g), _number(w)
        if g_number is not None and w_number is not None:
            if not np.isclose(g_number, w_number, rtol=2.5e-7, atol=1e-7):
                return f"token {i}: printed {g}, the seed has {w}"
        elif g != w:
            return f"token {i}: printed {g!r}, the seed has {w!r}"
    return None


# Seed 2's cake, which several of its cells build on (indented as programs are).
SEED2_CAKE = """
    import mirax as jax
    import mirax.numpy as jnp
    initial_ingredients = {'sugar': 1.5, 'flour': 2.0, 'butter': 1.0, 'eggs': 3.0}
    ingredient_vec = jnp.array([initial_ingredients[k] for k in sorted(initial_ingredients.keys())])

    def bake_cake_properties(ingredients_vec):
        sugar, flour, butter, eggs = ingredients_vec[3], ingredients_vec[2], ingredients_vec[0], ingredients_vec[1]
        sweetness = 10 * jnp.log1p(sugar) + 0.1 * butter - 0.2*flour
        fluffiness = 5 * (eggs / 3.0) - 0.5 * (flour - 2.0)**2 + 0.2*butter
        cost = (sugar**1.1 + flour**0.9 + butter**1.2 + eggs**1.0) * 0.5
        return jnp.array([sweetness, fluffiness, cost])
"""


def check_program(source, expected):
    """Run `source` (indented as in a test file) in a fresh interpreter; it must exit
    cleanly and print `expected` (likewise indented)."""
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    difference = same_output(run.stdout, textwrap.dedent(expected))
    assert difference is None, f"{difference}\n--- printed:\n{run.stdout}"
