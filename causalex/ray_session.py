"""One way to run work on Ray (the ``ray`` extra): join a running Ray instance or start a local one.

Extraction (`causalex.extract.ray_engine`), cross-validation folds (`causalex.train.folds`) and recipe
comparisons (`causalex.compare`) submit their tasks inside `ray_session`; only these modules import Ray.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from causalex.errors import input_error

RAY_MISSING = "engine 'ray' needs Ray: pip install 'ray>=2.9' (the 'ray' extra of causalex)"


@contextmanager
def ray_session(workers: int, address: str | None = None) -> Iterator[Any]:
    """The ``ray`` module, initialised: the running instance when there is one (e.g. inside a Ray task),
    else a cluster at ``address``, else a local instance of ``workers`` CPUs; one started here is shut down
    on exit (no dashboard, worker logs kept off the driver).

    Raises:
        InputError: Ray is not installed.
    """
    try:
        import ray
    except ImportError as exc:
        raise input_error(None, RAY_MISSING) from exc
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address is None:
            kwargs["num_cpus"] = max(1, int(workers))
        else:
            kwargs["address"] = address
        ray.init(**kwargs)
    try:
        yield ray
    finally:
        if started_here:
            ray.shutdown()
