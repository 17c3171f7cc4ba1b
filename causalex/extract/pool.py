"""Run `extract_one` in a pool of worker processes (``run_batch(..., workers=N)``, local engine).

Interruption and kills:
  * Workers ignore SIGINT: a Ctrl-C in the terminal reaches only the parent, which tells every worker
    to stop (a shared event, and SIGTERM) and re-raises; no further video is started, the videos in progress are
    abandoned (series files are written atomically, so nothing half-written is kept), and `run_batch`
    writes the manifest of what was finished.
  * Each worker runs a watchdog thread that polls the stop event and its parent's pid every
    `WATCH_INTERVAL_S` seconds and ends the worker at once when the parent is gone (``kill -9``), so no
    orphan keeps writing series that the manifest never records.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable, Optional

from causalex.extract.batch import _one_line, extract_one
from causalex.extract.jobs import VideoJob
from causalex.extract.manifest import ManifestRow

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 0.2  # how often a worker checks that its parent lives and has not asked it to stop
EXIT_ORPHANED = 3  # exit status of a worker that ended itself (parent gone or stop asked)

_WORKER_QUEUE = None


def _watch(parent_pid: int, stop) -> None:
    """Worker thread: end this process when ``stop`` is set or the parent process ``parent_pid`` is gone."""
    while not stop.wait(WATCH_INTERVAL_S):
        if os.getppid() != parent_pid:
            break
    os._exit(EXIT_ORPHANED)  # no cleanup on purpose: an unfinished series is only a temporary file


def _init_worker(queue, stop, parent_pid: int) -> None:
    global _WORKER_QUEUE
    _WORKER_QUEUE = queue
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what a Ctrl-C stops
    threading.Thread(target=_watch, args=(parent_pid, stop), name="causalex-parent-watch", daemon=True).start()
    try:
        import cv2

        cv2.setNumThreads(1)  # one core per worker process
    except ImportError:
        pass


def _extract_in_worker(job: VideoJob, out_dir: Path, backend: str, options, fps) -> ManifestRow:
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        now = time.monotonic()
        if _WORKER_QUEUE is not None and (now - last[0] > 0.2 or (total is not None and done >= total)):
            last[0] = now
            _WORKER_QUEUE.put((job.video, done, total))

    return extract_one(job, out_dir, backend, options, fps, progress)


def run_pool(todo: list[VideoJob], out: Path, backend: str, options: dict[str, Any] | None, fps: float | None,
             workers: int, record: Callable[[ManifestRow], None],
             on_frames: Optional[Callable[[str, int, Optional[int]], None]] = None) -> None:
    """Extract ``todo`` in ``workers`` spawned processes and ``record`` each row as it finishes.

    On any exception in this process (KeyboardInterrupt included) the workers are stopped at once, the
    videos not yet started are cancelled, and the exception is re-raised once all workers are gone.
    """
    import multiprocessing as mp
    import queue as queue_mod

    ctx = mp.get_context("spawn")
    progress_queue = ctx.Queue()
    stop = ctx.Event()

    def drain() -> None:
        while True:
            try:
                video, done, total = progress_queue.get_nowait()
            except queue_mod.Empty:
                return
            if on_frames is not None:
                on_frames(video, done, total)

    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx, initializer=_init_worker,
                               initargs=(progress_queue, stop, os.getpid()))
    try:
        futures = {pool.submit(_extract_in_worker, job, out, backend, options, fps): job for job in todo}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            drain()
            for fut in finished:
                job = futures[fut]
                try:
                    row = fut.result()
                except Exception as exc:  # the worker process died (e.g. out of memory)
                    row = ManifestRow(video=job.video, path=job.path, kind=job.kind, backend=backend,
                                      status="error", error=_one_line(f"{job.path}: worker died: {exc!r}"))
                record(row)
    except BaseException:
        stop.set()  # every worker ends within WATCH_INTERVAL_S once its watchdog thread runs, and
        for proc in list((getattr(pool, "_processes", None) or {}).values()):  # at once where the pool
            proc.terminate()  # lists its processes (CPython): even inside C code holding the GIL
        pool.shutdown(wait=True, cancel_futures=True)
        log.debug("extraction workers stopped")
        raise
    pool.shutdown(wait=True)
