"""Where `causalex demo` writes its files, and the check that it may write there.

Layout of the output folder::

    demo.json                       the settings of the run (written first: marks the folder as a demo's)
    corpus_a/, corpus_b/            the simulated corpora (OpenFace CSVs, labels.csv, true_graph.json, corpus.json)
    corpus_a/series/, corpus_b/series/   the same AU series as Parquet files, which carry each video's
                                    subject (a video without any expression has none in labels.csv)
    graphs/corpus_a.json + .png     causal graphs discovered on each corpus (and their plots)
    model/                          LOSO training on corpus A: model.pt, graph.json, predictions.csv
                                    (out of fold), metrics.json, config.json
    predictions.csv                 corpus B spotted by the deployment model (trained on all of A)
    model_without_bias_aus/         a model trained on all of A without A's bias AUs: model.pt, graph.json and
                                    predictions.csv (corpus B spotted by it)
    baseline/corpus_a.csv, corpus_b.csv   the untrained threshold spotter on each corpus (reference)
    report/                         summary.md, summary.json, timeline_<video>.png, graph.png, bias.png
    report/bias/                    the bias study report (report.md, report.json, predictions, plots)
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from causalex.errors import input_error

MARKER = "demo.json"


@dataclass(frozen=True)
class DemoLayout:
    """Paths inside a demo output folder."""

    root: Path

    @property
    def marker(self) -> Path:
        """Settings of the run; its presence marks the folder as a demo's."""
        return self.root / MARKER

    def corpus(self, name: str) -> Path:
        """Folder of simulated corpus ``a`` or ``b``."""
        return self.root / f"corpus_{name}"

    def series(self, name: str) -> Path:
        """Parquet AU series (with subjects) of corpus ``a`` or ``b``: what every later stage reads."""
        return self.corpus(name) / "series"

    @property
    def graphs(self) -> Path:
        """Discovered graphs (JSON and PNG)."""
        return self.root / "graphs"

    @property
    def model(self) -> Path:
        """Model folder of the LOSO training."""
        return self.root / "model"

    @property
    def predictions(self) -> Path:
        """Corpus B spotted by the deployment model."""
        return self.root / "predictions.csv"

    @property
    def without_bias_aus(self) -> Path:
        """Model trained on all of A without A's bias AUs, and its predictions on corpus B."""
        return self.root / "model_without_bias_aus"

    @property
    def baseline(self) -> Path:
        """Predictions of the untrained threshold spotter."""
        return self.root / "baseline"

    @property
    def report(self) -> Path:
        """Summary, plots and the bias report."""
        return self.root / "report"

    @property
    def bias_report(self) -> Path:
        """The bias study's own report folder."""
        return self.report / "bias"

    @property
    def megc(self) -> Path:
        """MEGC answers to corpus B's ME-VQA / ME-LVQA questions and their scores."""
        return self.root / "megc"

    def owned(self) -> list[Path]:
        """Every top-level entry a demo run writes (removed before a rerun)."""
        return [self.marker, self.corpus("a"), self.corpus("b"), self.graphs, self.model, self.predictions,
                self.without_bias_aus, self.baseline, self.megc, self.report]

    def relative(self, path: Path) -> str:
        """``path`` relative to the output folder, with forward slashes (for summary.json)."""
        return path.relative_to(self.root).as_posix()


def prepare_output(root: str | Path) -> DemoLayout:
    """Check the output folder and clear an earlier demo's files from it.

    A missing or empty folder is used as is; a folder holding an earlier demo (its ``demo.json``)
    has that demo's files removed, and nothing else is touched; any other non-empty folder is refused.

    Raises:
        InputError: the path is a file, or a non-empty folder that is not a demo's.
    """
    layout = DemoLayout(Path(root))
    if layout.root.exists() and not layout.root.is_dir():
        raise input_error(layout.root, "output path exists and is not a folder")
    if layout.root.is_dir() and any(not p.name.startswith(".") for p in layout.root.iterdir()):
        if not layout.marker.is_file():
            raise input_error(layout.root, f"output folder is not empty and holds no earlier demo ({MARKER}); "
                                           "choose an empty or new folder")
        for path in layout.owned():
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    return layout
