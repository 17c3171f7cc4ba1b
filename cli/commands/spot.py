"""`causalex spot`: spot expressions in AU series, OpenFace CSVs or videos with a trained model."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from causalex_cli.common import THREADS_HELP, console, csv_fps_option, err_console, handle_errors, info, progress

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".m4v")


class Method(str, enum.Enum):
    """Spotting method."""

    model = "model"
    threshold = "threshold"


def _load_inputs(paths: list[Path], fps: Optional[float]):
    """AU series of every input; videos are extracted first (causalex.extract)."""
    from causalex.errors import input_error
    from causalex.readers import collect_series_files, read_series

    videos = [p for p in paths if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES]
    others = [p for p in paths if p not in videos]
    series = []
    for path in collect_series_files(others) if others else []:
        s = read_series(path, fps=fps)
        s.meta.setdefault("file", str(path))  # messages name the file (Parquet series do not record it)
        series.append(s)
    if videos:
        try:
            from causalex.extract import extract_video
        except ImportError as exc:
            raise input_error(videos[0], f"video input needs the extractor (causalex.extract: {exc}); extract AU "
                                         "series first with `causalex extract`") from None
        for path in videos:
            info(f"extracting AUs from {path} ...")
            s = extract_video(path)
            s.meta.setdefault("file", str(path))
            series.append(s)
    seen: dict[str, str] = {}
    for s in series:
        if s.video in seen:
            raise input_error(s.meta.get("file", s.video), f"video id {s.video!r} appears twice "
                                                           f"(also in {seen[s.video]})")
        seen[s.video] = str(s.meta.get("file", s.video))
    return series


def _check_replaceable(output: Path) -> None:
    """Refuse to replace an existing file that is not a predictions CSV (a labels file in an input folder)."""
    from causalex.errors import input_error
    from causalex.labels import PREDICTION_COLUMNS

    if output.is_file() and output.stat().st_size > 0:
        with output.open(encoding="utf-8", errors="replace") as fh:
            header = fh.readline().strip().lstrip("\ufeff")
        if not header.startswith(",".join(PREDICTION_COLUMNS[:6])):  # score included: labels have none
            raise input_error(output, "exists and is not a predictions CSV (labels?); remove it or choose "
                                      "another output path")


def _override_decoder(spotter, name: str) -> None:
    """Decode with ``name`` instead of the checkpoint's decoder (a bad name is an input error listing the valid ones)."""
    from dataclasses import replace

    from causalex.errors import InputError
    from causalex.spot.decoders import check_decoder_name

    try:
        check_decoder_name(name)
    except ValueError as exc:
        raise InputError(f"--decoder: {exc}") from None
    trained = spotter.bundle.decode.decoder
    if name != trained:
        err_console.print(f"[bold yellow]note:[/] decoding with {name}; the model's score thresholds were chosen "
                          f"on validation for its {trained} decoder", highlight=False)
    decode = spotter.bundle.decode
    unknown = [k for k in ("micro", "macro") if decode.for_type(k).mean_duration_s <= 0]
    if name != "search" and unknown:
        err_console.print(f"[bold yellow]note:[/] the checkpoint records no training durations of "
                          f"{' and '.join(unknown)} (written before causalex recorded them): {name}'s k_p comes "
                          "from the middle of the decoding duration bounds", highlight=False)
    spotter.bundle.decode = replace(decode, decoder=name)


@handle_errors
def spot(
    paths: list[Path] = typer.Argument(..., metavar="MODEL INPUT...",
                                       help="A model folder (or model.pt) followed by AU series, OpenFace CSVs, "
                                            "videos or folders. With --method threshold, inputs only."),
    output: Path = typer.Option(..., "-o", "--output", help="Predictions CSV to write."),
    method: Method = typer.Option(Method.model, "--method", help="model (trained) or threshold (untrained "
                                                                 "baseline, needs no model)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also write a per-video score plot (.png, .pdf or .svg)."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda.",
                               metavar="<auto|cpu|cuda>"),
    fps: Optional[float] = csv_fps_option(),
    threads: int = typer.Option(1, "--threads", min=0, help=THREADS_HELP),
    skip_short: bool = typer.Option(False, "--skip-short", help="Leave out (with a warning) inputs shorter than "
                                                                "the model's window instead of refusing the batch."),
    decoder: Optional[str] = typer.Option(None, "--decoder", metavar="<search|me-tst|boostingvrme>",
                                          help="Interval decoder instead of the model's own (recorded in its "
                                               "checkpoint): search (causalex), me-tst (peak +- k_p) or "
                                               "boostingvrme (scalable interval selection). The model's score "
                                               "thresholds were chosen on validation for its own decoder."),
    allow_scale_mismatch: bool = typer.Option(False, "--allow-scale-mismatch",
                                              help="Spot inputs whose scale (e.g. flow's percent_iod) differs from "
                                                   "the training series' (e.g. OpenFace intensity_0_5), with a "
                                                   "warning, instead of refusing them. Their scores are unreliable."),
) -> None:
    """Spot macro- and micro-expressions and write the predictions CSV (video, onset, apex, offset, type,
    score, emotion, onset_s, offset_s). Inputs are resampled to the model's working frame rate and the
    intervals mapped back to each input's own frames. Every input must last at least the model's window
    (data.window_s, 6 s by default; --skip-short leaves shorter ones out) and have its AUs: all inputs are
    checked before any is spotted.

    Inputs must also be on the scale of the model's training series, which
    every series file and model records (OpenFace intensity_0_5, py-feat
    probability_0_1, extract's flow percent_iod): a series on another scale
    is refused, unless --allow-scale-mismatch.

    Example: causalex spot runs/casme2 series/ -o predictions.csv --plot scores.png
    """
    from causalex.errors import InputError
    from causalex.fileio import check_output_file
    from causalex.labels import write_predictions_csv
    from causalex.spot.spotter import make_spotter
    from causalex.train.loop import resolve_device

    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    if method == Method.model:
        if len(paths) < 2:
            raise InputError("spot needs a MODEL and at least one INPUT (or --method threshold with inputs only)")
        model_path, inputs = paths[0], paths[1:]
        model_dir = model_path if model_path.is_dir() else model_path.parent  # (a missing model fails below)
        if model_path.exists() and model_dir.resolve() in output.resolve().parents:
            raise InputError(f"{output}: is inside the model folder {model_dir}, whose files training wrote; "
                             "choose another output path")
        try:
            torch_device = resolve_device(device)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        spotter = make_spotter("model", model=model_path, device=torch_device,
                               allow_scale_mismatch=allow_scale_mismatch)
        info(f"loaded {model_path}: {spotter.describe()}")
        if decoder is not None:
            _override_decoder(spotter, decoder)
    else:
        if decoder is not None:
            raise InputError("--decoder applies to a trained model; --method threshold has no decoder")
        inputs = paths
        spotter = make_spotter("threshold")  # (untrained: no training scale to check)
        err_console.print("[bold yellow]note:[/] --method threshold runs an UNTRAINED threshold spotter "
                          "(robust AU activity): a baseline, not the trained model.")
    if plot is not None:
        from causalex.viz import plot_format

        plot_format(plot)  # a bad suffix fails before any work
    for out in (output, plot):
        if out is not None:
            check_output_file(out, paths)
    _check_replaceable(output)
    if plot is not None and plot.resolve() == output.resolve():
        raise InputError(f"{plot}: --plot and -o name the same file")
    series = _load_inputs(inputs, fps)
    if skip_short:
        short = [s for s in series if spotter.is_too_short(s)]
        if short and len(short) == len(series):
            raise InputError(f"every input is shorter than the model's {spotter.min_duration_s:g} s window "
                             f"(e.g. {short[0].video}: {short[0].duration_s:.2f} s)")
        if short:
            err_console.print(f"[bold yellow]warning:[/] left out {len(short)} input(s) shorter than the model's "
                              f"{spotter.min_duration_s:g} s window: "
                              + ", ".join(f"{s.video} ({s.duration_s:.2f} s)" for s in short), highlight=False)
            left_out = {s.video for s in short}  # video ids are unique (checked on loading)
            series = [s for s in series if s.video not in left_out]
    spotter.check_inputs(series)  # scale, AU set and length checked for every input before any work

    found, tracks = [], []
    with progress() as bar:
        task = bar.add_task("spotting", total=len(series))
        for s in series:
            intervals, track = spotter.spot_one(s)
            found.extend(intervals)
            tracks.append(track)
            bar.advance(task)
    write_predictions_csv(output, found, {s.video: s.fps for s in series})
    if plot is not None:
        from causalex.spot.plot import plot_score_tracks

        plot_score_tracks(tracks, plot, title=f"causalex spot ({method.value})")

    table = Table(title=f"spotted intervals ({method.value})", title_justify="left")
    for name in ("video", "micro", "macro"):
        table.add_column(name, justify="left" if name == "video" else "right")
    for s in series:
        mine = [iv for iv in found if iv.video == s.video]
        table.add_row(s.video, str(sum(iv.type == "micro" for iv in mine)), str(sum(iv.type == "macro" for iv in mine)))
    console.print(table)
    for message in spotter.volume_warnings(found, series):
        err_console.print(f"[bold yellow]warning:[/] {message}", highlight=False)
    info(f"wrote {output} ({len(found)} intervals)" + (f" and {plot}" if plot else ""))


def register(app: typer.Typer) -> None:
    """Add the ``spot`` command to the app."""
    app.command("spot")(spot)
