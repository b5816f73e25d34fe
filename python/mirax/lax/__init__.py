"""mirax.lax: the array primitives, as in jax.lax (one module per op family)."""
from ._elementwise import *  # noqa: F401,F403
from ._shape import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._reduction import *  # noqa: F401,F403
from ._dot import *  # noqa: F401,F403
from ._convolution import *  # noqa: F401,F403
from ._control_flow import *  # noqa: F401,F403
from ._linear_solve import *  # noqa: F401,F403
from ._windowed import *  # noqa: F401,F403
from ._fft import *  # noqa: F401,F403
from ._misc import *  # noqa: F401,F403
from ._other import *  # noqa: F401,F403
from ._parallel import *  # noqa: F401,F403
from . import linalg  # noqa: F401,E402

# JAX's shape primitives take PRNG key arrays (mirax.random maps them over the keys' data).
from mirax._key_arrays import takes_keys as _takes_keys  # noqa: E402

(broadcast, broadcast_in_dim, concatenate, dynamic_index_in_dim, dynamic_slice, dynamic_slice_in_dim, expand_dims,
 index_in_dim, reshape, rev, slice, slice_in_dim, squeeze, transpose) = (_takes_keys(fn) for fn in (  # noqa: A001
    broadcast, broadcast_in_dim, concatenate, dynamic_index_in_dim, dynamic_slice, dynamic_slice_in_dim, expand_dims,
    index_in_dim, reshape, rev, slice, slice_in_dim, squeeze, transpose))
dynamic_update_slice, dynamic_update_slice_in_dim, dynamic_update_index_in_dim = (
    _takes_keys(fn, "operand", "update")
    for fn in (dynamic_update_slice, dynamic_update_slice_in_dim, dynamic_update_index_in_dim))
select = _takes_keys(select, "on_true", "on_false")
