"""mirax.lax: the array primitives, as in jax.lax (one module per op family)."""
from ._elementwise import *  # noqa: F401,F403
from ._shape import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._reduction import *  # noqa: F401,F403
from ._dot import *  # noqa: F401,F403
from ._control_flow import *  # noqa: F401,F403
from . import linalg  # noqa: F401,E402
