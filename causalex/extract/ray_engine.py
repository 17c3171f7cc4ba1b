"""Run `extract_one` as Ray tasks (``engine="ray"``, extra ``causalex[ray]``).

The same per-video function runs on each Ray worker and writes the same series files; the driver
(this process) gathers the manifest rows as tasks finish and appends each to the manifest, exactly
as the local engine does. Ray is reached through `causalex.ray_session`.

On a multi-machine cluster (``address="auto"`` or ``ray://...``), the output folder and the videos
must be visible at the same paths on every node (a shared file system), and causalex must be
installed in the nodes' Python environment.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from causalex.extract.batch import _one_line, extract_one
from causalex.extract.jobs import VideoJob
from causalex.extract.manifest import ManifestRow
from causalex.ray_session import ray_session

log = logging.getLogger(__name__)


def run_with_ray(jobs: list[VideoJob], out_dir: Path, backend: str, options: dict[str, Any] | None,
                 fps: float | None, workers: int, record: Callable[[ManifestRow], None],
                 address: str | None = None) -> None:
    """Extract ``jobs`` as Ray tasks (one CPU each) and ``record`` each row as it finishes.

    Args:
        workers: CPUs of the local Ray instance started when ``address`` is None and Ray is not running.
        address: address of an existing Ray cluster, or None.

    Raises:
        InputError: Ray is not installed.
    """
    with ray_session(workers, address) as ray:
        task = ray.remote(num_cpus=1, max_retries=0)(extract_one)
        refs = {task.remote(job, str(out_dir), backend, options, fps): job for job in jobs}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            job = refs[done[0]]
            try:
                row = ray.get(done[0])
            except Exception as exc:  # the task's worker died; extract_one itself never raises
                row = ManifestRow(video=job.video, path=job.path, kind=job.kind, backend=backend, status="error",
                                  error=_one_line(f"{job.path}: Ray task failed: {type(exc).__name__}: {exc}"))
            record(row)
