"""Corpus presets of the simulator: the published shape of each dataset and the dials of the generator.

A preset is a frozen dataclass; `get_preset` looks one up by name and applies overrides. The
``casme2`` and ``samm`` presets follow the published shape of CAS(ME)^2 (22 subjects, ~97 long
videos, 30 fps, ~148 s, 300 macro / 57 micro) and SAMM Long Videos (30 subjects, 147 videos, 200 fps,
~35 s, 343 macro / 159 micro). The mean expression durations are approximate: only the ranges
(micro < 0.5 s, macro 0.5-4 s) are fixed by the datasets' definitions.

The ``family-*`` presets share one mechanism and differ in their bias (which AUs, per-AU delays,
strength, on or off the mechanism), so that a model or a debiasing can be trained on one and tested
on another; ``family-hf`` is the family at 200 fps. ``sparse`` has few expressions in long videos,
with speech and frequent head turns. `FAMILIES` names the families (see `generate_family`).

Every time constant is in seconds, so a preset means the same thing at 30 and at 200 fps.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from causalex.errors import InputError
from causalex.simulate.mechanism import AU_NAMES, DEFAULT_MECHANISM, EMOTIONS, MechanismSpec


@dataclass(frozen=True)
class BiasSpec:
    """A dataset-specific latent cause that ties some AUs to expression occurrence.

    The latent is a slow bump around (most) expressions; it drives ``aus`` (one or more) without being
    part of the expression, so a spotter trained on this corpus can learn to rely on those AUs. Per-AU
    delays make the latent reach some AUs later than others: the bias AUs then move in a fixed time order,
    which a lagged discovery can mistake for a cause and its effect. With ``on_mechanism`` the latent may
    drive AUs of the mechanism (dropping them then costs real signal); it acts on muscle activation, so the
    mechanism spreads it to their effects.
    """

    aus: tuple[str, ...]  # AUs the latent drives (outside the mechanism and emotion patterns unless on_mechanism)
    weights: tuple[float, ...]  # loading of the latent on each AU
    strength: float  # default strength; `--bias X` replaces it (0 = no bias)
    lead_s: tuple[float, float]  # the bump starts this long before the expression onset (uniform range)
    tail_s: tuple[float, float]  # ... and ends this long after its offset
    p_event: float  # fraction of expressions that come with the bump
    spurious_per_min: float  # bumps with no expression, per minute of video
    story: str = ""  # what the latent stands for
    delays_s: tuple[float, ...] = ()  # per-AU delay of the latent (s, >= 0); empty = all reach it at once
    on_mechanism: bool = False  # aus may be mechanism / emotion-pattern AUs (a random mechanism then includes them)

    def delays(self) -> tuple[float, ...]:
        """The delay of each AU in ``aus`` (s)."""
        return tuple(self.delays_s) if self.delays_s else (0.0,) * len(self.aus)


CASME2_BIAS = BiasSpec(aus=("AU14", "AU23"), weights=(1.0, 0.8), strength=1.0, lead_s=(0.3, 0.9),
                       tail_s=(0.2, 0.8), p_event=0.85, spurious_per_min=0.4,
                       story="participants press their lips and dimple as they notice an emotion rising")
SAMM_BIAS = BiasSpec(aus=("AU20", "AU45"), weights=(0.9, 0.7), strength=0.8, lead_s=(0.0, 0.3),
                     tail_s=(0.6, 1.6), p_event=0.8, spurious_per_min=0.5,
                     story="participants stretch their lips and squint after an expression, under the studio lights")
# The family's biases: other AUs, per-AU delays (a time order the latent imposes), strengths; one drives a
# mechanism root (AU12) and one is weak and on a single AU.
FAMILY_A_BIAS = BiasSpec(aus=("AU20", "AU23"), weights=(1.0, 0.8), strength=1.0, lead_s=(0.3, 0.9),
                         tail_s=(0.2, 0.8), p_event=0.85, spurious_per_min=0.4, delays_s=(0.0, 0.10),
                         story="participants stretch, then tighten, their lips as they notice an emotion rising")
FAMILY_B_BIAS = BiasSpec(aus=("AU12", "AU17"), weights=(0.6, 0.9), strength=0.8, lead_s=(0.0, 0.4),
                         tail_s=(0.4, 1.2), p_event=0.8, spurious_per_min=0.5, delays_s=(0.12, 0.0),
                         on_mechanism=True,
                         story="participants push the chin up and then smile politely to mask an expression")
FAMILY_C_BIAS = BiasSpec(aus=("AU45",), weights=(1.0,), strength=0.35, lead_s=(0.0, 0.2), tail_s=(0.3, 1.0),
                         p_event=0.6, spurious_per_min=0.8,
                         story="participants close their eyes a little longer after an expression (weak)")
FAMILY_HF_BIAS = BiasSpec(aus=("AU20", "AU14"), weights=(0.9, 0.7), strength=0.9, lead_s=(0.0, 0.3),
                          tail_s=(0.6, 1.6), p_event=0.8, spurious_per_min=0.5, delays_s=(0.0, 0.06),
                          story="participants stretch their lips, then dimple, after an expression")
SPARSE_BIAS = BiasSpec(aus=("AU23", "AU14"), weights=(0.9, 0.8), strength=1.0, lead_s=(0.3, 1.0),
                       tail_s=(0.2, 0.8), p_event=0.85, spurious_per_min=0.3, delays_s=(0.08, 0.0),
                       story="participants dimple, then tighten their lips, before an expression (the AUs "
                             "speech moves too)")


@dataclass(frozen=True)
class SimPreset:
    """Shape of a simulated corpus and the dials of its generator (defaults in code, one comment each)."""

    name: str
    description: str
    n_subjects: int  # subjects (each has at least one video)
    n_videos: int  # long videos
    fps: float  # frames per second
    video_mean_s: float  # mean video duration
    n_macro: int  # macro-expressions in the corpus
    n_micro: int  # micro-expressions in the corpus
    macro_mean_s: float  # mean macro-expression duration (0.5-4 s)
    micro_mean_s: float  # mean micro-expression duration (< 0.5 s)
    bias: BiasSpec = CASME2_BIAS  # the dataset's latent bias
    video_log_sd: float = 0.35  # log-normal spread of video durations
    video_min_s: float = 10.0  # shortest video
    emotion_probs: tuple[float, ...] = (0.40, 0.27, 0.13, 0.20)  # P(emotion), in the order of EMOTIONS
    macro_amplitude: tuple[float, float] = (0.8, 3.0)  # peak drive of a macro-expression (AU intensity units)
    micro_amplitude: tuple[float, float] = (0.5, 1.1)  # peak drive of a micro-expression: weak
    noise_sd: tuple[float, float] = (0.05, 0.10)  # sensor noise sd, range over subjects
    noise_tau_s: float = 0.05  # sensor noise autocorrelation time
    wander_sd: float = 0.10  # slow baseline wander of each AU (propagates along the mechanism)
    wander_tau_s: float = 4.0  # its autocorrelation time
    innovation_sd: float = 0.03  # fast muscle noise of each AU (propagates along the mechanism)
    resting_max: float = 0.35  # resting AU level per subject, uniform in [0, resting_max]
    blink_per_min: tuple[float, float] = (8.0, 22.0)  # AU45 blink rate, range over subjects
    blink_s: tuple[float, float] = (0.10, 0.40)  # blink duration
    blink_amplitude: tuple[float, float] = (1.0, 3.0)  # AU45 peak of a blink
    twitch_per_min: float = 3.0  # single-AU movements that are not expressions
    twitch_s: tuple[float, float] = (0.15, 1.0)  # their duration
    twitch_amplitude: tuple[float, float] = (0.3, 1.2)  # their peak
    gesture_per_min: float = 2.0  # non-emotional actions (mouth opening, swallowing, squinting, ...): not labelled
    gesture_s: tuple[float, float] = (0.5, 3.0)  # their duration
    gesture_amplitude: tuple[float, float] = (0.8, 2.0)  # their peak
    label_jitter: float = 0.2  # annotators' onset/offset error, sd as a fraction of the expression length
    head_move_per_min: float = 1.5  # head movements (rigid motion leaks into every AU estimate)
    head_move_s: tuple[float, float] = (0.4, 2.0)  # their duration
    head_drift_sd: float = 0.6  # slow head-pose drift (unitless pose, scaled by per-AU loadings)
    head_drift_tau_s: float = 6.0  # its autocorrelation time
    head_loading_sd: float = 0.08  # per-subject leak of head pose into each AU
    mask_fraction: tuple[float, float] = (0.004, 0.03)  # tracking-failure rate, range over subjects
    mask_run_s: float = 0.35  # mean length of a tracking-failure run
    min_gap_s: float = 1.0  # shortest gap between two expressions (and from the video ends)
    mechanism: MechanismSpec = DEFAULT_MECHANISM  # the true lagged AU mechanism, emotion patterns and gestures
    speech_per_min: float = 0.0  # talking episodes per minute (unlabelled latent moving the mouth AUs together)
    speech_s: tuple[float, float] = (2.0, 8.0)  # duration of a talking episode
    speech_hz: tuple[float, float] = (3.0, 6.0)  # syllable rate, drawn per episode
    speech_aus: tuple[str, ...] = ("AU25", "AU26", "AU10", "AU23", "AU14")  # mouth AUs that speech moves
    speech_weights: tuple[float, ...] = (1.0, 0.8, 0.5, 0.6, 0.4)  # loading of the speech latent on each
    speech_amplitude: tuple[float, float] = (0.6, 1.4)  # peak syllable drive of an episode

    def targets(self) -> dict[str, float]:
        """The published numbers this preset aims at (what the CLI prints beside the simulated ones)."""
        return {"subjects": self.n_subjects, "videos": self.n_videos, "fps": self.fps,
                "video_mean_s": self.video_mean_s, "macro": self.n_macro, "micro": self.n_micro,
                "macro_mean_s": self.macro_mean_s, "micro_mean_s": self.micro_mean_s}


PRESETS: dict[str, SimPreset] = {
    "tiny": SimPreset(name="tiny", description="unit-test corpus: 2 subjects, 4 videos of 20 s at 30 fps",
                      n_subjects=2, n_videos=4, fps=30.0, video_mean_s=20.0, n_macro=8, n_micro=4,
                      macro_mean_s=1.4, micro_mean_s=0.36, video_log_sd=0.1, video_min_s=15.0),
    "small": SimPreset(name="small", description="quick corpus: 6 subjects, 12 videos of ~40 s at 30 fps",
                       n_subjects=6, n_videos=12, fps=30.0, video_mean_s=40.0, n_macro=36, n_micro=14,
                       macro_mean_s=1.4, micro_mean_s=0.36, video_log_sd=0.2, video_min_s=20.0),
    "demo": SimPreset(name="demo", description="demo corpus: 8 subjects, 24 videos of ~40 s at 30 fps",
                      n_subjects=8, n_videos=24, fps=30.0, video_mean_s=40.0, n_macro=96, n_micro=36,
                      macro_mean_s=1.4, micro_mean_s=0.36, video_log_sd=0.2, video_min_s=20.0),
    "casme2": SimPreset(name="casme2", description="shape of CAS(ME)^2 long videos (Qu et al. 2018)",
                        n_subjects=22, n_videos=97, fps=30.0, video_mean_s=148.0, n_macro=300, n_micro=57,
                        macro_mean_s=1.4, micro_mean_s=0.36, video_min_s=30.0),
    "samm": SimPreset(name="samm", description="shape of SAMM Long Videos (Yap et al. 2020)",
                      n_subjects=30, n_videos=147, fps=200.0, video_mean_s=35.0, n_macro=343, n_micro=159,
                      macro_mean_s=1.6, micro_mean_s=0.33, bias=SAMM_BIAS, video_log_sd=0.3, video_min_s=12.0,
                      emotion_probs=(0.35, 0.20, 0.15, 0.30)),
    **{f"family-{x}": SimPreset(name=f"family-{x}", description=f"family corpus {x.upper()} (one mechanism, "
                                f"{what}): 8 subjects, 20 videos of ~50 s at 30 fps",
                                n_subjects=8, n_videos=20, fps=30.0, video_mean_s=50.0, n_macro=72, n_micro=28,
                                macro_mean_s=1.4, micro_mean_s=0.36, bias=bias, video_log_sd=0.2, video_min_s=25.0)
       for x, what, bias in (("a", "two-AU bias with delays", FAMILY_A_BIAS),
                             ("b", "bias on a mechanism root", FAMILY_B_BIAS),
                             ("c", "weak single-AU bias", FAMILY_C_BIAS))},
    "family-hf": SimPreset(name="family-hf", description="family corpus at 200 fps (its own bias): 4 subjects, "
                                                         "8 videos of ~30 s",
                           n_subjects=4, n_videos=8, fps=200.0, video_mean_s=30.0, n_macro=24, n_micro=12,
                           macro_mean_s=1.6, micro_mean_s=0.33, bias=FAMILY_HF_BIAS, video_log_sd=0.2,
                           video_min_s=20.0, emotion_probs=(0.35, 0.20, 0.15, 0.30)),
    "sparse": SimPreset(name="sparse", description="sparse expressions (< 1 per minute) in long videos with speech "
                                                   "and head turns: 8 subjects, 16 videos of ~150 s at 30 fps",
                        n_subjects=8, n_videos=16, fps=30.0, video_mean_s=150.0, n_macro=24, n_micro=8,
                        macro_mean_s=1.4, micro_mean_s=0.36, bias=SPARSE_BIAS, video_log_sd=0.25, video_min_s=90.0,
                        speech_per_min=1.5, head_move_per_min=3.0),
}

# Presets that share one mechanism and differ in bias: a random mechanism drawn for one of them (same
# mechanism seed) is the same for all, and leaves out the off-mechanism bias AUs of every member.
FAMILIES: dict[str, tuple[str, ...]] = {
    "family": ("family-a", "family-b", "family-c", "family-hf"),
}


def family_of(preset: str) -> tuple[str, ...]:
    """The presets of ``preset``'s family (``(preset,)`` when it is in none)."""
    return next((members for members in FAMILIES.values() if preset in members), (preset,))


def get_preset(name: str, **overrides: Any) -> SimPreset:
    """Look up a preset by name and replace some of its fields.

    Args:
        name: one of `PRESETS` (``tiny``, ``small``, ``demo``, ``casme2``, ``samm``, ``family-a``,
            ``family-b``, ``family-c``, ``family-hf``, ``sparse``).
        **overrides: field values to replace, e.g. ``n_videos=3``.

    Raises:
        InputError: unknown preset (the message lists the valid names) or unknown field.
    """
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    valid = {f.name for f in fields(SimPreset)} - {"name"}
    bad = sorted(set(overrides) - valid)
    if bad:
        raise InputError(f"unknown preset field(s) {', '.join(bad)}; valid: {', '.join(sorted(valid))}")
    preset = replace(PRESETS[name], **overrides) if overrides else PRESETS[name]
    _check_preset(preset)
    return preset


def _check_preset(p: SimPreset) -> None:
    problems = []
    if p.n_subjects < 1 or p.n_videos < p.n_subjects:
        problems.append(f"need 1 <= n_subjects <= n_videos, got {p.n_subjects} subjects, {p.n_videos} videos")
    if not p.fps > 0:
        problems.append(f"fps must be positive, got {p.fps}")
    if p.n_macro < 0 or p.n_micro < 0:
        problems.append("expression counts must be >= 0")
    if not 0.5 <= p.macro_mean_s <= 4.0:
        problems.append(f"macro_mean_s must be in [0.5, 4], got {p.macro_mean_s}")
    if not 0.0 < p.micro_mean_s < 0.5:
        problems.append(f"micro_mean_s must be in (0, 0.5), got {p.micro_mean_s}")
    if len(p.emotion_probs) != len(EMOTIONS) or abs(sum(p.emotion_probs) - 1.0) > 1e-6:
        problems.append(f"emotion_probs must be {len(EMOTIONS)} probabilities summing to 1")
    problems += _bias_problems(p)
    problems += [f"mechanism {p.mechanism.name!r}: {m}" for m in p.mechanism.problems()]
    if len(p.speech_aus) != len(p.speech_weights) or not set(p.speech_aus) <= set(AU_NAMES):
        problems.append("speech_aus must be AU names, one per speech_weights entry")
    if p.speech_per_min < 0:
        problems.append(f"speech_per_min must be >= 0, got {p.speech_per_min}")
    if problems:
        raise InputError(f"preset {p.name!r}: {'; '.join(problems)}")


def _bias_problems(p: SimPreset) -> list[str]:
    """What is wrong with the preset's bias, alone and against its mechanism."""
    b, out = p.bias, []
    if len(b.aus) != len(b.weights):
        out.append("bias.aus and bias.weights differ in length")
    if not set(b.aus) <= set(AU_NAMES) or len(set(b.aus)) != len(b.aus):
        out.append(f"bias.aus must be distinct AU names, got {', '.join(b.aus)}")
    if b.delays_s and (len(b.delays_s) != len(b.aus) or not all(0.0 <= d < 10.0 for d in b.delays_s)):
        out.append("bias.delays_s must hold one delay in [0, 10) s per bias AU (or be empty)")
    shared = sorted(set(b.aus) & p.mechanism.aus)
    if shared and not b.on_mechanism:
        out.append(f"bias AU(s) {', '.join(shared)} are in mechanism {p.mechanism.name!r} or its emotion patterns; "
                   "set the bias's on_mechanism=True to allow it")
    return out
