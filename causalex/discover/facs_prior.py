"""A FACS-based prior over AU pairs: prototype co-occurrence and anatomical neighbourhood.

Two AUs are linked by the prior when

* they co-occur in an EMFACS prototype of a basic emotion, as tabulated in the FACS Investigator's
  Guide (Ekman, Friesen & Hager 2002) and reproduced in most surveys: happiness 6+12; sadness 1+4+15;
  surprise 1+2+5+26; fear 1+2+4+5+7+20+26; anger 4+5+7+23; disgust 9+15(+16); contempt 12+14 (one side).
  AUs outside the OpenFace set (16, 24, 27) are left out; or
* they are anatomical neighbours: their muscles move the same facial landmark (inner brow; brows;
  upper lid; lower lid and cheek; nose and upper lip; lip corners; chin and lower lip; lips; mouth
  opening), listed in `ANATOMICAL_REGIONS` with the muscles.

The prior is undirected (FACS says which AUs go together, not which causes which). It is used

* as a stand-alone graph variant ``facs`` (`facs_prior_graph`, shipped as ``graphs/facs_prior.json``)
  for ablations: every prior pair becomes a ``---`` edge, messages both ways;
* as background knowledge for discovery (`facs_background`): edges between AUs that the prior does
  not link are forbidden (both directions), so FCI only searches among FACS-plausible pairs.
"""

from __future__ import annotations

from itertools import combinations

from causalex.discover.background import BackgroundKnowledge
from causalex.errors import InputError
from causalex.graph import AUGraph, GraphEdge

# The OpenFace 2.x intensity AUs (K = 17) used across causalex.
DEFAULT_AU_NAMES = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15",
                    "AU17", "AU20", "AU23", "AU25", "AU26", "AU45"]

# EMFACS prototypes (FACS Investigator's Guide, 2002), restricted to DEFAULT_AU_NAMES.
EMFACS_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "happiness": ("AU06", "AU12"),
    "sadness": ("AU01", "AU04", "AU15"),
    "surprise": ("AU01", "AU02", "AU05", "AU26"),
    "fear": ("AU01", "AU02", "AU04", "AU05", "AU07", "AU20", "AU26"),
    "anger": ("AU04", "AU05", "AU07", "AU23"),
    "disgust": ("AU09", "AU15"),
    "contempt": ("AU12", "AU14"),
}

# Facial landmark -> (AUs whose muscles move it, the muscles).
ANATOMICAL_REGIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "inner brow": (("AU01", "AU04"), "frontalis pars medialis vs corrugator / depressor supercilii"),
    "brows": (("AU01", "AU02"), "frontalis, medial and lateral parts"),
    "upper lid": (("AU05", "AU07", "AU45"), "levator palpebrae superioris, orbicularis oculi pars palpebralis"),
    "lower lid and cheek": (("AU06", "AU07"), "orbicularis oculi, orbital and palpebral parts"),
    "nose and upper lip": (("AU09", "AU10"), "levator labii superioris alaeque nasi, levator labii superioris"),
    "lip corners": (("AU12", "AU14", "AU15", "AU20"), "zygomaticus major, buccinator, depressor anguli oris, risorius"),
    "chin and lower lip": (("AU15", "AU17"), "depressor anguli oris, mentalis"),
    "lips": (("AU23", "AU25"), "orbicularis oris vs depressor labii"),
    "mouth opening": (("AU25", "AU26"), "depressor labii, jaw drop (masseter / temporalis relax)"),
}


def facs_pairs(au_names: list[str] | None = None) -> dict[tuple[str, str], list[str]]:
    """AU pairs the prior links, each with why (``fear``, ``anatomy: lip corners``, ...).

    Args:
        au_names: nodes to consider (default `DEFAULT_AU_NAMES`); pairs are ordered as in this list.

    Returns:
        ``{(a, b): [reasons]}`` with ``a`` before ``b`` in ``au_names``.
    """
    names = list(au_names or DEFAULT_AU_NAMES)
    check_au_nodes(names)
    order = {n: i for i, n in enumerate(names)}
    out: dict[tuple[str, str], list[str]] = {}

    def add(group: tuple[str, ...], why: str) -> None:
        present = sorted((a for a in group if a in order), key=order.__getitem__)
        for a, b in combinations(present, 2):
            out.setdefault((a, b), []).append(why)

    for emotion, aus in EMFACS_PROTOTYPES.items():
        add(aus, emotion)
    for region, (aus, _muscles) in ANATOMICAL_REGIONS.items():
        add(aus, f"anatomy: {region}")
    return dict(sorted(out.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]])))


def check_au_nodes(names: list[str]) -> None:
    """Refuse region nodes: the FACS prior links action units, it says nothing about facial regions.

    Raises:
        InputError: a node that is not an AU name.
    """
    from causalex.series import AU_NAME_RE

    regions = [n for n in names if not AU_NAME_RE.match(n)]
    if regions:
        raise InputError(f"the FACS prior links action units, but these nodes are facial regions "
                         f"({', '.join(regions[:4])}{' ...' if len(regions) > 4 else ''}): use the graph "
                         "causal, cooccurrence, full or none, and background none")


def facs_prior_graph(au_names: list[str] | None = None, name: str = "facs") -> AUGraph:
    """The ``facs`` graph variant: one undirected (``---``) kept edge per prior pair.

    Args:
        au_names: nodes (default `DEFAULT_AU_NAMES`); AUs unknown to the prior become isolated nodes.
        name: graph name.
    """
    names = list(au_names or DEFAULT_AU_NAMES)
    edges = [GraphEdge(a, b, "tail", "tail", kept=True, reason="FACS prior: " + ", ".join(why))
             for (a, b), why in facs_pairs(names).items()]
    prov = {"kind": "facs prior", "source": "EMFACS prototypes (Ekman, Friesen & Hager 2002) + anatomical neighbours",
            "prototypes": {k: list(v) for k, v in EMFACS_PROTOTYPES.items()},
            "regions": {k: list(v[0]) for k, v in ANATOMICAL_REGIONS.items()}}
    return AUGraph(nodes=names, edges=edges, provenance=prov, name=name)


def facs_background(au_names: list[str]) -> BackgroundKnowledge:
    """Background knowledge from the prior: forbid both directions between AUs it does not link.

    Args:
        au_names: the nodes discovery runs on.
    """
    linked = set(facs_pairs(au_names))
    bk = BackgroundKnowledge()
    for i, a in enumerate(au_names):
        for b in au_names[i + 1:]:
            if (a, b) not in linked:
                bk.forbid(a, b).forbid(b, a)
    return bk
