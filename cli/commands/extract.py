"""`causalex extract`: videos (files, folders, lists, frame folders) -> one AU series file per video."""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import List, Optional

import typer

from causalex_cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    FPS_RANGE,
    err_console,
    handle_errors,
    info,
    progress,
)


class Backend(str, enum.Enum):
    """Extractor backends."""

    flow = "flow"
    pyfeat = "pyfeat"


class Features(str, enum.Enum):
    """What each series column is."""

    au = "au"
    roi = "roi"


class RoiLayout(str, enum.Enum):
    """Region layouts of --features roi (the names of causalex.extract.roi_layouts.LAYOUTS, kept here so that
    the CLI starts without numpy; a test checks they agree)."""

    auwgcn12 = "auwgcn12"
    metst5 = "metst5"
    boosting18 = "boosting18"


class RoiValue(str, enum.Enum):
    """What is stored per region."""

    magnitude = "magnitude"
    xy = "xy"


class Engine(str, enum.Enum):
    """Where the per-video tasks run."""

    local = "local"
    ray = "ray"


FILE_SUFFIXES = (".csv", ".parquet", ".json", ".npz", ".txt")  # an -o ending like this was meant as a file


@handle_errors
def extract(
    inputs: List[Path] = typer.Argument(..., help="Videos, folders (searched recursively; a folder of numbered "
                                                  "frame images is one video) or .txt lists of paths."),
    output: Path = typer.Option(..., "-o", "--output", help="Output folder: <video>.parquet per video + manifest.csv."),
    backend: Backend = typer.Option(Backend.flow, "--backend", help="flow (default): offline landmarks + optical "
                                                                     "flow, signed facial motion in percent of the "
                                                                     "inter-ocular distance (scale percent_iod); "
                                                                     "pyfeat: py-feat AU probabilities 0..1 (scale "
                                                                     "probability_0_1)."),
    features: Features = typer.Option(Features.au, "--features", help="au (default): one column per action unit; "
                                                                     "roi: optical flow in named facial regions "
                                                                     "(flow backend; scale roi_flow_percent_iod)."),
    roi_layout: Optional[RoiLayout] = typer.Option(None, "--roi-layout", help="Regions of --features roi: auwgcn12 "
                                                                             "(default; AUW-GCN's 12), metst5 "
                                                                             "(ME-TST's 5) or boosting18 (18)."),
    roi_value: Optional[RoiValue] = typer.Option(None, "--roi-value", help="Per region with --features roi: "
                                                                          "magnitude (default; one node per region) "
                                                                          "or xy (nodes <region>_x, <region>_y)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Videos extracted in parallel (one process each)."),
    fps: Optional[float] = typer.Option(None, "--fps", **FPS_RANGE, help="Output frame rate: keep every "
                                                                       "round(source_fps/F)-th frame."),
    folder_fps: Optional[float] = typer.Option(None, "--folder-fps", **FPS_RANGE,
                                               help="Frame rate of frame-image folders (e.g. 200 for SAMM-LV, "
                                                    "30 for CAS(ME)^2)."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local (processes on this machine) or ray "
                                                                 "(Ray tasks; needs causalex\\[ray])."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster to join with --engine ray "
                                                                          "(default: start a local one).",
                                              metavar="<address>"),
    device: str = typer.Option("auto", "--device", metavar="<auto|cpu|cuda>",
                               help="Torch device of --backend pyfeat: auto (CUDA when present, else cpu), cpu or "
                                    "cuda. The flow backend always runs on the CPU."),
    force: bool = typer.Option(False, "--force", help="Re-extract videos an earlier run already finished."),
) -> None:
    """Extract per-frame AU series from videos, resuming an earlier run into the same folder.

    What the numbers are: --backend flow writes signed facial motion per AU
    in percent of the inter-ocular distance (scale percent_iod; 0 = the
    face at rest, tens of percent for a strong movement); --backend pyfeat
    writes py-feat AU probabilities 0..1 (probability_0_1). OpenFace CSVs,
    which train and spot read directly, hold intensities 0..5
    (intensity_0_5). Each file records its scale, and a model refuses
    series on another scale than its training series'.

    --features roi writes, instead of AUs, the optical flow in named facial
    regions (--roi-layout auwgcn12, metst5 or boosting18), head motion
    removed by a nose reference box, in percent of the inter-ocular
    distance: one node per region (--roi-value magnitude) or two (xy).
    Discover, train, spot and bias take these series like AU series; a
    model trained on one kind refuses the other.

    Each video becomes OUTPUT/<video>.parquet; OUTPUT/manifest.csv (a row appended after every video,
    one row per video at the end) records path, content hash, frames, fps, backend, version, status and
    error. A rerun skips finished videos; a bad video is recorded and reported at the end without
    stopping the others. Ctrl-C stops at once (exit 130) and keeps the manifest of what finished. One
    run at a time per OUTPUT folder: a second one is refused while the first is running.

    Example: causalex extract videos/ rawpic/ --folder-fps 30 -o series/ --workers 2
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # keep FFmpeg's own messages off the terminal
    from rich.markup import escape

    from causalex.errors import input_error
    from causalex.extract import collect_jobs, run_batch

    if output.suffix.lower() in FILE_SUFFIXES and not output.is_dir():
        raise input_error(output, "-o names the output FOLDER (one <video>.parquet per video and manifest.csv), "
                                  f"not a {output.suffix} file; e.g. -o {output.with_suffix('')}/")
    if not any(path.exists() for path in inputs):  # nothing to extract: no output folder, no manifest
        raise input_error(inputs[0], "does not exist" + (" (nor does any other input)" if len(inputs) > 1 else ""))
    jobs = collect_jobs(inputs, folder_fps=folder_fps)
    if folder_fps is None and any(j.kind == "frame_folder" for j in jobs):
        first = next(j.path for j in jobs if j.kind == "frame_folder")
        raise input_error(first, "a folder of frame images needs its frame rate: pass --folder-fps")
    backend_name, options = _backend_options(backend, features, roi_layout, roi_value, device)

    with progress() as bar:
        overall = bar.add_task("videos", total=len(jobs))
        per_video: dict[str, int] = {}
        finished: list[str] = []

        def on_frames(video: str, done: int, total: Optional[int]) -> None:
            if video not in per_video:
                per_video[video] = bar.add_task(f"  {video}", total=total)
            bar.update(per_video[video], completed=done, total=total)

        def on_video(row) -> None:
            finished.append(row.video)
            if row.video in per_video:
                bar.remove_task(per_video.pop(row.video))
            bar.advance(overall)
            if row.status != "ok":
                bar.console.print(f"[red]{row.status}[/] {escape(row.video)}: {escape(row.error)}", highlight=False,
                                  soft_wrap=True)

        try:
            report = run_batch(jobs, output, backend=backend_name, options=options, fps=fps, workers=workers,
                               engine=engine.value, force=force, on_frames=on_frames, on_video=on_video,
                               ray_address=ray_address)
        except KeyboardInterrupt:
            bar.stop()
            err_console.print(escape(f"interrupted: {len(finished)} videos finished in this run are recorded in "
                                     f"{output / 'manifest.csv'}; run the same command again to resume"),
                              highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        bar.update(overall, completed=len(jobs))

    done = [r for r in report.rows if r.status == "ok" and r.video not in report.skipped]
    failed = report.failed
    info(escape(f"{len(done)} extracted, {len(report.skipped)} already done, {len(failed)} failed; "
                f"manifest: {report.manifest}"))
    if failed:  # each failure was printed as it happened; the manifest keeps them
        raise typer.Exit(EXIT_FAILURE if any(r.status == "error" for r in failed) else EXIT_BAD_INPUT)


def _backend_options(backend: Backend, features: Features, roi_layout: Optional[RoiLayout],
                     roi_value: Optional[RoiValue], device: str) -> tuple[str, dict]:
    """The extractor name and options the options ask for.

    Raises:
        InputError: --roi-* without --features roi, or --features roi with a backend other than flow.
    """
    from causalex.errors import InputError

    if features is Features.au:
        if roi_layout is not None or roi_value is not None:
            raise InputError("--roi-layout and --roi-value need --features roi")
        return backend.value, ({"device": pyfeat_device(device)} if backend is Backend.pyfeat else {})
    if backend is not Backend.flow:
        raise InputError(f"--features roi measures optical flow with the flow backend; --backend {backend.value} "
                         "gives AU values only")
    return "roi", {"layout": (roi_layout or RoiLayout.auwgcn12).value, "value": (roi_value or RoiValue.magnitude).value}


def pyfeat_device(device: str) -> str:
    """The torch device py-feat runs on: ``auto`` is ``cuda`` when torch sees a CUDA GPU, else ``cpu``.

    Raises:
        InputError: an unknown device, or ``cuda`` without a GPU.
    """
    from causalex.devices import device_problem
    from causalex.errors import InputError

    problem = device_problem(device)
    if problem is not None:
        raise InputError(problem)
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def register(app: typer.Typer) -> None:
    """Add the ``extract`` command to the app."""
    app.command("extract")(extract)
