"""Settings of `causalex demo`: corpus shape, training length, bias study, and the tiny ``quick`` setting.

Defaults live in code with a comment per field (as everywhere in causalex). Corpus A uses the chosen
preset with its own bias latent; corpus B has the same shape and mechanism but the *other* dataset's
bias latent (CAS(ME)^2-like <-> SAMM-like) and other subjects (another seed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from causalex.devices import device_problem
from causalex.errors import InputError
from causalex.simulate.presets import PRESETS, SimPreset, get_preset

QUICK_OVERRIDES: dict[str, Any] = {  # the tiny preset with a third subject, so that LOSO has inner validation
    "n_subjects": 3, "n_videos": 6, "n_macro": 12, "n_micro": 6,
}
SHAPE_SKIP = ("name", "description", "bias", "extra")  # preset fields that are not the corpus shape


@dataclass
class DemoSettings:
    """Everything one demo run does (defaults: the ``demo`` preset, about 3.5 minutes on a 2-core CPU)."""

    preset: str = "demo"  # simulator preset of both corpora (see `causalex.simulate.presets.PRESETS`)
    preset_overrides: dict[str, Any] = field(default_factory=dict)  # preset fields replaced (``--quick``)
    seed: int = 0  # corpus A uses seed, corpus B seed + 1; training seeds start at seed
    epochs: int = 12  # training epochs of every model (the best one is picked on inner validation)
    batch_size: int = 0  # windows per step (0: training's automatic size, as `causalex train` chooses it)
    device: str = "auto"  # auto (CUDA when present), cpu or cuda
    threads: int = 1  # torch CPU threads (0: torch's default); 1 is fastest for these small models on 2 cores
    bias_variants: tuple[str, ...] = ("causal", "none")  # graph variants compared by the bias study
    bias_folds: int = 3  # in-domain folds of the bias study (0 = leave one subject out); the train stage
    #   already runs LOSO, 3 folds by subject keep the whole demo within minutes on 2 cores
    reliance_extra: tuple[str, ...] = ("AU04", "AU12")  # AUs removed at test time besides the bias AUs
    #   (AU04 and AU12 drive the negative and positive expressions: a fair model should lean on them)
    max_timelines: int | None = None  # timeline PNGs drawn (None: one per video of corpus B)
    quick: bool = False  # the tiny setting (tests): tiny preset, 3 subjects, 1 epoch, 3 timelines

    def validate(self) -> None:
        """Raise `InputError` on an unknown preset, a bad seed, epoch count, thread count or device."""
        if self.preset not in PRESETS:
            raise InputError(f"unknown preset {self.preset!r}; valid presets: {', '.join(PRESETS)}")
        if self.seed < 0:
            raise InputError(f"seed must be >= 0, got {self.seed}")
        if self.epochs < 1:
            raise InputError(f"epochs must be >= 1, got {self.epochs}")
        if self.threads < 0:
            raise InputError(f"threads must be >= 0, got {self.threads}")
        if problem := device_problem(self.device):
            raise InputError(problem)
        get_preset(self.preset, **self.preset_overrides)

    def to_json(self) -> dict[str, Any]:
        """Plain dict (for summary.json)."""
        out = asdict(self)
        out["bias_variants"] = list(self.bias_variants)
        out["reliance_extra"] = list(self.reliance_extra)
        return out


def demo_settings(preset: str | None = None, epochs: int | None = None, seed: int = 0, quick: bool = False,
                  device: str = "auto", threads: int = 1) -> DemoSettings:
    """The settings of one run from the CLI options (``quick``: tiny preset, 3 subjects, 1 epoch, 3 timelines).

    Explicit ``preset`` and ``epochs`` win over ``quick``'s.

    Raises:
        InputError: bad values (see `DemoSettings.validate`).
    """
    settings = DemoSettings(seed=seed, device=device, threads=threads, quick=quick)
    if quick:
        settings.preset, settings.epochs, settings.max_timelines = "tiny", 1, 3
        settings.preset_overrides = dict(QUICK_OVERRIDES)
    if preset is not None:
        if quick and preset != "tiny":
            settings.preset_overrides = {}
        settings.preset = preset
    if epochs is not None:
        settings.epochs = epochs
    settings.validate()
    return settings


def other_bias_preset(preset: str) -> str:
    """A preset whose bias latent differs from ``preset``'s (its shape is not used, only its bias).

    Raises:
        InputError: no preset has another bias.
    """
    own = PRESETS[preset].bias
    for name, spec in PRESETS.items():
        if spec.bias != own:
            return name
    raise InputError(f"no preset has a bias other than {preset!r}'s")


def bias_name(preset: str) -> str:
    """The dataset whose bias latent ``preset`` carries (``casme2`` or ``samm``), else the preset itself."""
    own = PRESETS[preset].bias
    return next((name for name in ("casme2", "samm") if name in PRESETS and PRESETS[name].bias == own), preset)


def corpus_b_recipe(settings: DemoSettings) -> tuple[str, dict[str, Any]]:
    """``(preset, overrides)`` for corpus B: the shape of corpus A's preset, the other dataset's bias.

    The simulator's ``bias`` argument is a strength, so the other bias is taken from the preset that
    has it, with every shape field of A's preset (and A's overrides) copied over.
    """
    shape = get_preset(settings.preset, **settings.preset_overrides)
    overrides = {f.name: getattr(shape, f.name) for f in fields(SimPreset) if f.name not in SHAPE_SKIP}
    return other_bias_preset(settings.preset), overrides
