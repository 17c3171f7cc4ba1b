"""FACS action-unit names and the emotion words of the MEGC question-answering tasks.

ME-VQA names action units by their FACS names in lower case ("brow lowerer"); causalex names them
``AU04``. `au_code` reads either form (and "AU 4", "action unit 4"); `au_name` gives the FACS name.
Fine-grained emotion classes (anger, happiness, ...) map to the coarse MEGC classes with
`causalex.labels.to_megc_emotion`; `fine_from_aus` guesses a fine class of a coarse one from the AUs that
moved (EMFACS-style prototypes), for models that only predict coarse classes.
"""

from __future__ import annotations

import re

# FACS code -> name (Ekman & Friesen 2002 names, lower case, as the ME-VQA answers write them).
FACS_NAMES: dict[str, str] = {
    "AU01": "inner brow raiser", "AU02": "outer brow raiser", "AU04": "brow lowerer", "AU05": "upper lid raiser",
    "AU06": "cheek raiser", "AU07": "lid tightener", "AU08": "lips toward each other", "AU09": "nose wrinkler",
    "AU10": "upper lip raiser", "AU11": "nasolabial deepener", "AU12": "lip corner puller",
    "AU13": "sharp lip puller", "AU14": "dimpler", "AU15": "lip corner depressor", "AU16": "lower lip depressor",
    "AU17": "chin raiser", "AU18": "lip pucker", "AU20": "lip stretcher", "AU21": "neck tightener",
    "AU22": "lip funneler", "AU23": "lip tightener", "AU24": "lip pressor", "AU25": "lips part",
    "AU26": "jaw drop", "AU27": "mouth stretch", "AU28": "lip suck", "AU38": "nostril dilator",
    "AU39": "nostril compressor", "AU41": "lid droop", "AU42": "slit", "AU43": "eye closure", "AU44": "squint",
    "AU45": "blink", "AU46": "wink",
}
# Other spellings met in dataset codings and participants' answers -> code.
ALIASES: dict[str, str] = {
    "eyes closed": "AU43", "nostril dilater": "AU38", "nostril compress": "AU39", "cheek puffer": "AU13",
    "lips parted": "AU25", "lip part": "AU25", "lid raiser": "AU05", "brow raiser": "AU01",
}
_BY_NAME = {**{name: code for code, name in FACS_NAMES.items()}, **ALIASES}
_CODE_RE = re.compile(r"^(?:au|action unit)\s*0*(\d{1,2})$")

# Fine-grained emotion words of the datasets (CASME II, SAMM, CAS(ME)^3) in ME-VQA answers.
FINE_CLASSES = ("anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise", "others")
COARSE_CLASSES = ("negative", "positive", "surprise", "others")

# Negative fine classes and the AUs that point to each (EMFACS-style prototypes, Ekman & Friesen).
NEGATIVE_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "anger": ("AU04", "AU05", "AU07", "AU23", "AU24"),
    "disgust": ("AU09", "AU10", "AU16"),
    "sadness": ("AU01", "AU15", "AU17"),
    "fear": ("AU20", "AU05", "AU26"),
    "contempt": ("AU14",),
}
FINE_OF_COARSE = {"positive": "happiness", "surprise": "surprise", "others": "others", "negative": "disgust"}


def normalise_words(text: str) -> str:
    """Lower case, punctuation other than ``,`` to spaces, runs of spaces to one."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s,]", " ", text.lower())).strip()


def au_code(text: str) -> str | None:
    """``"brow lowerer"``, ``"AU4"``, ``"AU 04"``, ``"action unit 4"`` -> ``"AU04"``; None when unknown."""
    words = normalise_words(text).replace("_", " ")
    if words in _BY_NAME:
        return _BY_NAME[words]
    m = _CODE_RE.match(words)
    if m:
        code = f"AU{int(m.group(1)):02d}"
        return code if code in FACS_NAMES else None
    m = re.match(r"^au\s*0*(\d{1,2})\s+(.+)$", words)  # "au4 brow lowerer": the number decides
    if m and f"AU{int(m.group(1)):02d}" in FACS_NAMES:
        return f"AU{int(m.group(1)):02d}"
    return None


def au_name(code: str) -> str:
    """``"AU04"`` -> ``"brow lowerer"`` (the code itself when FACS has no name for it)."""
    return FACS_NAMES.get(code, code)


def au_list_text(codes: list[str] | tuple[str, ...]) -> str:
    """AU codes as the ME-VQA answers list them: FACS names in code order, joined by ``", "``."""
    return ", ".join(au_name(c) for c in sorted(set(codes)))


def fine_from_aus(coarse: str, aus: set[str] | frozenset[str]) -> str:
    """A fine-grained class for a coarse one: positive -> happiness, surprise -> surprise, others -> others;
    negative -> the prototype sharing most AUs with ``aus`` (ties in `NEGATIVE_PROTOTYPES` order), disgust
    when none is shared (the most frequent negative class of CASME II and SAMM)."""
    if coarse != "negative":
        return FINE_OF_COARSE.get(coarse, coarse)
    best, hits = FINE_OF_COARSE["negative"], 0
    for fine, proto in NEGATIVE_PROTOTYPES.items():
        n = len(aus & set(proto))
        if n > hits:
            best, hits = fine, n
    return best


def coarse_from_aus(aus: set[str] | frozenset[str]) -> str:
    """A coarse class from AUs alone (when no prediction carries an emotion): lip corner puller -> positive,
    inner and outer brow raisers without brow lowerer -> surprise, any negative prototype AU -> negative,
    else others."""
    if "AU12" in aus:
        return "positive"
    if {"AU01", "AU02"} & aus and "AU04" not in aus:
        return "surprise"
    if aus & {au for proto in NEGATIVE_PROTOTYPES.values() for au in proto}:
        return "negative"
    return "others"
