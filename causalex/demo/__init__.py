"""`causalex demo`: the whole pipeline on two simulated, differently biased corpora, with no data and no network.

    from causalex.demo import run_demo, demo_settings
    result = run_demo("causalex-demo", demo_settings(quick=True))
    result.summary["scores"]          # MEGC F1 of every predictions file, with the file's path

Modules: `settings` (what a run does), `layout` (where files go), `pipeline` (the stages),
`plots` (report figures via `causalex.viz`), `summary` (summary.json / summary.md).
"""

from causalex.demo.layout import DemoLayout, prepare_output
from causalex.demo.pipeline import STAGES, DemoProgress, DemoResult, run_demo
from causalex.demo.settings import DemoSettings, demo_settings

__all__ = ["STAGES", "DemoLayout", "DemoProgress", "DemoResult", "DemoSettings", "demo_settings", "prepare_output",
           "run_demo"]
