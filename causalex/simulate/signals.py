"""Synthesis of one video's AU series from its plan.

Layers, in order (all time constants in seconds, so the same preset works at any fps):
1. muscle activation ``[T, K]``: expressions drive their root AUs, unlabelled gestures (mouth
   opening, swallowing, ...) and twitches drive other AUs, and every AU gets slow wander and fast
   innovation noise;
2. the bias latent adds a bump around (most) expressions on the preset's bias AUs (each after its own
   delay), and the speech latent (unlabelled talking episodes, a syllable rhythm of a few Hz) moves the
   mouth AUs together; both act on muscle activation, so the mechanism spreads them too;
3. the preset's lagged causal mechanism spreads activation from cause to effect AUs;
4. blinks (AU45 bursts), head-pose drift and movements leaking into every AU estimate, autocorrelated
   sensor noise, clipping to OpenFace's 0-5 range and 2-decimal rounding;
5. tracking failures: short runs of masked frames (zero-filled, as OpenFace writes them).

Each layer draws from its own random stream, so changing the bias strength changes only the bias
latent's share of the signal (and, through the mechanism, of its effects).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from causalex.series import AUSeries
from causalex.simulate.mechanism import AU_INDEX, AU_NAMES, BLINK_AU, add_lagged, apply_mechanism
from causalex.simulate.plan import SubjectTraits, VideoPlan
from causalex.simulate.presets import SimPreset

STREAMS = ("twitch", "gesture", "wander", "bias", "blink", "head", "noise", "mask", "speech")  # append only
MAX_INTENSITY = 5.0
ROOT_TWITCH_SHARE = 0.15  # relative twitch rate of an expression's root AU (a twitch there mimics a micro)
HEAD_MASK_PROB = 0.3  # chance that a head movement makes the tracker lose the face for a moment


def envelope(n_rise: int, n_fall: int) -> np.ndarray:
    """Raised-cosine bump: rises over ``n_rise`` frames to 1 at the apex, falls over ``n_fall``.

    Shapes: returns ``[n_rise + n_fall]`` with the apex at index ``n_rise - 1``.
    """
    u = np.arange(1, n_rise + 1) / n_rise
    v = np.arange(1, n_fall + 1) / (n_fall + 1)
    return np.concatenate([0.5 * (1 - np.cos(np.pi * u)), 0.5 * (1 + np.cos(np.pi * v))])


def ar1(rng: np.random.Generator, n: int, k: int, sd: float | np.ndarray, tau_s: float, fps: float) -> np.ndarray:
    """Stationary AR(1) noise with standard deviation ``sd`` and autocorrelation time ``tau_s``.

    Shapes: returns ``[n, k]`` float64 (``sd`` a scalar or ``[k]``).
    """
    phi = float(np.exp(-1.0 / max(tau_s * fps, 1e-9)))
    scale = np.sqrt(1.0 - phi * phi)
    white = rng.standard_normal((n, k))
    start = rng.standard_normal((1, k)) * phi  # the state before frame 0, drawn from the stationary law
    out, _ = lfilter([scale], [1.0, -phi], white, axis=0, zi=start)
    return out * sd


def _add_bump(signal: np.ndarray, start: int, n_rise: int, n_fall: int, amplitude: float) -> None:
    """Add ``amplitude * envelope`` starting at frame ``start`` (clipped to the signal), in place."""
    bump = amplitude * envelope(max(1, n_rise), max(1, n_fall))
    lo, hi = max(0, start), min(len(signal), start + len(bump))
    if hi > lo:
        signal[lo:hi] += bump[lo - start:hi - start]


def _random_bumps(rng: np.random.Generator, signal: np.ndarray, per_min: float, dur_s: tuple[float, float],
                  amp: tuple[float, float], fps: float, apex_frac: float = 0.45,
                  signed: bool = False) -> list[tuple[int, int]]:
    """Add a Poisson number of bumps at random times to ``signal`` ``[T]``; returns their (start, length)."""
    t = len(signal)
    count = rng.poisson(per_min * t / fps / 60.0)
    spans = []
    for start, dur, a, sign in zip(rng.integers(0, t, count), rng.uniform(*dur_s, count), rng.uniform(*amp, count),
                                   rng.choice([-1.0, 1.0], count) if signed else np.ones(count)):
        n = max(2, int(round(dur * fps)))
        rise = max(1, int(round(apex_frac * n)))
        _add_bump(signal, int(start), rise, n - rise, float(a * sign))
        spans.append((int(start), n))
    return spans


def _bias_latent(rng: np.random.Generator, plan: VideoPlan, preset: SimPreset) -> np.ndarray:
    """The bias latent of one video at unit strength: a wide bump around most expressions (peaking at
    their apex) and a few bumps elsewhere. Shapes: returns ``[T]``."""
    fps, spec = preset.fps, preset.bias
    latent = np.zeros(plan.n_frames)
    for expr in plan.expressions:
        iv = expr.interval
        draw = rng.uniform(size=4)  # always four draws per expression: streams stay aligned
        if draw[0] >= spec.p_event:
            continue
        start = iv.onset - int(round((spec.lead_s[0] + draw[1] * (spec.lead_s[1] - spec.lead_s[0])) * fps))
        stop = iv.offset + int(round((spec.tail_s[0] + draw[2] * (spec.tail_s[1] - spec.tail_s[0])) * fps))
        height = (0.6 + 0.4 * draw[3]) * (0.6 if iv.type == "micro" else 1.0)
        _add_bump(latent, start, iv.apex - start + 1, stop - iv.apex, height)
    t = plan.n_frames
    count = rng.poisson(spec.spurious_per_min * t / fps / 60.0)
    for start, dur, height in zip(rng.integers(0, t, count), rng.uniform(0.8, 3.0, count),
                                  rng.uniform(0.6, 1.0, count)):
        n = max(2, int(dur * fps))
        _add_bump(latent, int(start), n // 2, n - n // 2, float(height))
    return latent


def speech_latent(rng: np.random.Generator, n_frames: int, preset: SimPreset) -> np.ndarray:
    """The speech latent of one video: Poisson talking episodes, each a train of syllable bumps.

    An episode lasts ``preset.speech_s`` seconds at a syllable rate drawn from ``preset.speech_hz``
    (each gap jittered by +-30%, a syllable a raised cosine over most of its gap, heights varying), with
    a peak drive from ``preset.speech_amplitude``. Shapes: returns ``[T]`` (zero outside the episodes).
    """
    fps, latent = preset.fps, np.zeros(n_frames)
    count = rng.poisson(preset.speech_per_min * n_frames / fps / 60.0)
    starts, durations = rng.integers(0, n_frames, count), rng.uniform(*preset.speech_s, count)
    rates, amplitudes = rng.uniform(*preset.speech_hz, count), rng.uniform(*preset.speech_amplitude, count)
    for start, dur, rate, amp in zip(starts, durations, rates, amplitudes):
        t, stop = float(start), start + dur * fps
        while t < stop:
            gap = fps / rate * rng.uniform(0.7, 1.3)
            n = max(2, int(round(0.8 * gap)))
            _add_bump(latent, int(t), max(1, n // 2), n - max(1, n // 2), float(amp * rng.uniform(0.4, 1.0)))
            t += gap
    return latent


def _mask_runs(rng: np.random.Generator, t: int, fraction: float, run_s: float, fps: float,
               head_spans: list[tuple[int, int]]) -> np.ndarray:
    """Validity mask ``[T]`` with short runs of tracking failure (more likely during head movements)."""
    mask = np.ones(t, dtype=bool)
    mean_run = max(1.0, run_s * fps)
    count = rng.poisson(fraction * t / mean_run)
    starts = list(rng.integers(0, t, count))
    lengths = list(np.maximum(1, np.round(rng.exponential(mean_run, count))).astype(int))
    for (start, n), hit in zip(head_spans, rng.random(len(head_spans))):
        if hit < HEAD_MASK_PROB:
            starts.append(start + n // 3)
            lengths.append(max(1, n // 3))
    for start, n in zip(starts, lengths):
        mask[int(start):int(start) + int(n)] = False
    return mask


def synthesize_video(plan: VideoPlan, traits: SubjectTraits, preset: SimPreset, bias_strength: float,
                     seed: np.random.SeedSequence) -> AUSeries:
    """Generate the AU series of one video.

    Args:
        plan: the video's length and expressions.
        traits: its subject's constants.
        preset: generator dials.
        bias_strength: strength of the bias latent (0 = none).
        seed: seed of this video; each layer draws from its own child stream.

    Returns:
        An `AUSeries` with ``values: [T, 17]`` (OpenFace scale, 2 decimals, zero where masked).
    """
    rng = dict(zip(STREAMS, (np.random.default_rng(s) for s in seed.spawn(len(STREAMS)))))
    t, k, fps, mech = plan.n_frames, len(AU_NAMES), preset.fps, preset.mechanism
    act = np.zeros((t, k))
    for expr in plan.expressions:  # 1. expressions drive their root AUs
        onset, apex, offset = expr.movement
        for au, weight in expr.roots.items():
            _add_bump(act[:, AU_INDEX[au]], onset, apex - onset + 1, offset - apex, expr.amplitude * weight)
    lo, hi = preset.gesture_amplitude
    gestures = mech.gesture_weights
    for au, weight in gestures.items():  # unlabelled gestures, as large and long as macro-expressions
        _random_bumps(rng["gesture"], act[:, AU_INDEX[au]], preset.gesture_per_min / len(gestures),
                      preset.gesture_s, (lo * weight, hi * weight), fps, apex_frac=0.4)
    blink = AU_INDEX[BLINK_AU]
    roots = mech.roots
    share = np.array([0.0 if au == BLINK_AU else ROOT_TWITCH_SHARE if au in roots else 1.0 for au in AU_NAMES])
    for au in np.flatnonzero(share):  # non-expression twitches, rarely on the AUs that start expressions
        _random_bumps(rng["twitch"], act[:, au], preset.twitch_per_min * share[au] / share.sum(), preset.twitch_s,
                      preset.twitch_amplitude, fps)
    act += ar1(rng["wander"], t, k, preset.wander_sd, preset.wander_tau_s, fps)
    act += rng["wander"].normal(0.0, preset.innovation_sd, (t, k))
    latent = _bias_latent(rng["bias"], plan, preset)  # 2. the dataset's bias latent, each AU after its delay
    for au, weight, delay in zip(preset.bias.aus, preset.bias.weights, preset.bias.delays()):
        add_lagged(act[:, AU_INDEX[au]], latent, bias_strength * weight, delay * fps)
    if preset.speech_per_min > 0:  # ... and the speech latent
        talk = speech_latent(rng["speech"], t, preset)
        for au, weight in zip(preset.speech_aus, preset.speech_weights):
            act[:, AU_INDEX[au]] += weight * talk
    apply_mechanism(act, fps, mech)  # 3. the lagged causal mechanism
    _random_bumps(rng["blink"], act[:, blink], traits.blink_per_min, preset.blink_s,  # 4. blinks, head, sensor
                  preset.blink_amplitude, fps, apex_frac=0.35)
    head = ar1(rng["head"], t, 1, preset.head_drift_sd, preset.head_drift_tau_s, fps)[:, 0]
    head_spans = _random_bumps(rng["head"], head, preset.head_move_per_min, preset.head_move_s, (0.5, 2.0), fps,
                               signed=True)
    values = act + traits.resting + head[:, None] * traits.head_loadings
    values += ar1(rng["noise"], t, k, traits.noise_sd, preset.noise_tau_s, fps)
    values = np.round(np.clip(values, 0.0, MAX_INTENSITY), 2).astype(np.float32)
    mask = _mask_runs(rng["mask"], t, traits.mask_fraction, preset.mask_run_s, fps, head_spans)  # 5.
    values[~mask] = 0.0
    return AUSeries(values=values, mask=mask, fps=fps, au_names=list(AU_NAMES), video=plan.video,
                    subject=plan.subject, source="simulated", scale="intensity_0_5",
                    meta={"preset": preset.name, "n_expressions": len(plan.expressions)})
