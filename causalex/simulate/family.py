"""Families of simulated corpora: one mechanism, different biases (train on one, test on another).

A family is a list of presets (`FAMILIES` names the shipped one: ``family-a``, ``family-b``,
``family-c`` at 30 fps and ``family-hf`` at 200 fps). `generate_family` simulates each member with its
own seed and bias and one shared mechanism: the presets' own (``"default"``) or one random mechanism drawn
once from ``mechanism_seed``. `generate_corpus(member, mechanism="random", mechanism_seed=s)` draws the
same mechanism, so members may also be simulated one at a time (``causalex simulate``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Sequence

from causalex.errors import InputError
from causalex.simulate.generate import SimulatedCorpus, check_corpus_folder, generate_corpus, write_corpus
from causalex.simulate.mechanism import MechanismSpec
from causalex.simulate.presets import FAMILIES, PRESETS, get_preset
from causalex.simulate.random_mechanism import MECHANISM_CHOICES, mechanism_constraints, random_mechanism

log = logging.getLogger(__name__)


def family_members(family: str | Sequence[str]) -> tuple[str, ...]:
    """Preset names of ``family``: a name in `FAMILIES`, or a sequence of preset names.

    Raises:
        InputError: an unknown family or preset name (the message lists the valid ones).
    """
    if isinstance(family, str):
        if family not in FAMILIES:
            raise InputError(f"unknown family {family!r}; valid families: {', '.join(FAMILIES)} "
                             "(or a list of preset names)")
        return FAMILIES[family]
    members = tuple(family)
    bad = [m for m in members if m not in PRESETS]
    if not members or bad:
        raise InputError(f"unknown preset(s) {', '.join(map(repr, bad)) or '(none given)'}; "
                         f"valid presets: {', '.join(PRESETS)}")
    return members


def family_mechanism(family: str | Sequence[str], mechanism: str | MechanismSpec = "default",
                     mechanism_seed: int = 0) -> MechanismSpec:
    """The one mechanism that `generate_family` gives every member of ``family``.

    ``"default"`` is the first member's own mechanism (the members must all carry the same one);
    ``"random"`` draws one mechanism that leaves out every member's off-mechanism bias AUs and takes in
    the on-mechanism ones.

    Raises:
        InputError: unknown family, preset or choice; members with different own mechanisms; clashing biases.
    """
    presets = [PRESETS[m] for m in family_members(family)]
    if isinstance(mechanism, MechanismSpec):
        return mechanism
    if mechanism not in MECHANISM_CHOICES:
        raise InputError(f"unknown mechanism {mechanism!r}; valid: {', '.join(MECHANISM_CHOICES)} (or a MechanismSpec)")
    if mechanism == "default":
        own = {p.mechanism for p in presets}
        if len(own) > 1:
            raise InputError("the presets carry different mechanisms; choose mechanism='random' or pass one spec")
        return presets[0].mechanism
    include, avoid = mechanism_constraints(presets)
    return random_mechanism(mechanism_seed, avoid=avoid, include=include)


def generate_family(family: str | Sequence[str] = "family", seed: int = 0, mechanism: str | MechanismSpec = "default",
                    mechanism_seed: int | None = None, bias: float | None = None,
                    on_video: Callable[[str, int, int], None] | None = None,
                    **overrides: Any) -> dict[str, SimulatedCorpus]:
    """Simulate corpora that share one mechanism and differ in bias (and subjects).

    Args:
        family: a family name (`FAMILIES`, e.g. ``"family"``) or a sequence of preset names.
        seed: member ``i`` is simulated with seed ``seed + i`` (as ``causalex simulate --seed``).
        mechanism: ``"default"``, ``"random"`` or a `MechanismSpec` (see `family_mechanism`).
        mechanism_seed: seed of the random mechanism (None: ``seed``); drawn once for the whole family.
        bias: bias strength for every member (None: each preset's own).
        on_video: called as ``on_video(preset, done, total)`` after each video.
        **overrides: preset fields replaced in every member (e.g. ``n_videos=4``).

    Returns:
        Preset name -> corpus, in the family's order.

    Raises:
        InputError: bad family, preset, field, mechanism, seed or bias (see `generate_corpus`).
    """
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed}")
    members = family_members(family)
    if len(set(members)) != len(members):
        raise InputError(f"a family lists each preset once, got {', '.join(members)}")
    for name in members:  # bad overrides fail before any work
        get_preset(name, **overrides)
    mech = family_mechanism(members, mechanism, seed if mechanism_seed is None else mechanism_seed)
    out = {}
    for i, name in enumerate(members):
        progress = None if on_video is None else (lambda done, total, n=name: on_video(n, done, total))
        out[name] = generate_corpus(name, bias=bias, seed=seed + i, on_video=progress, mechanism=mech, **overrides)
    log.info("simulated family of %d corpora (%s) sharing mechanism %r", len(out), ", ".join(out), mech.name)
    return out


def write_family(corpora: dict[str, SimulatedCorpus], out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write each corpus of `generate_family` to ``out_dir/<preset>/`` (see `write_corpus`); returns the folders.

    Raises:
        InputError: ``out_dir`` is a file, or a member folder holds something other than a simulated corpus.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: output path exists and is not a folder")
    for name in corpora:  # refuse before writing anything
        check_corpus_folder(out / name)
    return {name: write_corpus(corpus, out / name) for name, corpus in corpora.items()}
