"""The harmony planner: a chord plan bar by bar, before any note, from the style, the mode and the form.

A piece is cut into 8-bar periods (a shorter piece is one phrase). Each period is an antecedent phrase
that ends open (on the dominant, in the styles of HALF_CADENCE_STYLES) and a consequent phrase that closes
with the style's cadence (composer.core.progressions.CADENCES). The periods follow a form: A, A B, A B A,
A A B A, then verse and chorus in turn. Each section takes a progression of the style's library; classical
and folk styles may take theirs from the chord model learned from the corpus (composer.plan.chord_model).
The last bar is the tonic triad, except in a loop, whose last bar is the dominant seventh so that it leads
back into bar 1.

    plan = plan_harmony("folk", 2, "major", 16, (6, 8), rng=random.Random(0))
    plan.chords   # one Chord per slot (plan.slots a bar), as the constraints read it
    plan.bars     # ["I", "IV", "I", "V", ...] one name per bar, for explain
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from composer.core.errors import ComposerError
from composer.core.harmony import Chord, numeral_chord
from composer.core.progressions import (
    HALF_CADENCE_STYLES,
    MODE_PROGRESSIONS,
    Progression,
    approaches_for,
    cadence_for,
    progressions_for,
)
from composer.plan.chord_model import ChordModel

# styles whose sections the chord model may write (its own corpus style), and how often
MODEL_STYLES = {"chorale": ("chorale", 0.6), "baroque": ("chorale", 0.4), "folk": ("folk", 0.4),
                "waltz": ("folk", 0.25), "march": ("folk", 0.25), "orchestral": ("chorale", 0.25)}
FORMS = {1: "A", 2: "AB", 3: "ABA", 4: "AABA"}
PREDOMINANTS = {"major": ("ii", "ii7"), "minor": ("bVI", "iiø7")}  # before a cadence's dominant (jazz: ii7)
OTHER_PREDOMINANTS = {"major": ("IV", "IVmaj7"), "minor": ("iv", "iv7")}  # where the first would sound twice
JAZZ_STYLES = frozenset({"swing", "lofi"})  # their predominants are seventh chords
PLAGAL_STYLES = frozenset({"pop", "rock", "folk", "ballad", "ambient", "cinematic", "orchestral", "chiptune"})
PLAGAL_SHARE = 0.25  # in these styles a period closes IV-I this often
VARY_SHARE = 0.6  # a section's progression has one inner bar changed by the chord model this often
# an inner 8-bar period (not the last) ends open on the dominant this often, as a verse leads into its chorus
# or a binary form's first half ends on V; the others close with the style's cadence
OPEN_SHARE = 0.35
# In these styles a section's 8 bars are a sentence this often (the second half continues from the phrase's
# third bar), else a period (the consequent starts as the antecedent did). Loop-based styles (pop, rock,
# synthwave, lo-fi, ...) repeat their loop: a sentence there starts its second half on bIII, bVII or IV and
# the piece is heard in another key (the public control prompts' rock anthem in E read as A major).
SENTENCE_STYLES = frozenset({"chorale", "baroque", "folk", "waltz", "march", "orchestral"})
SENTENCE_SHARE = 0.4
# a period's consequent opens as its antecedent did, and its second bar takes another chord this often
# (I V | ... answered by I vi | ...): heard as the question's answer, it goes its own way
ANSWER_SHARE = 0.5
# a closing period approaches its cadence by one of its style's formulas this often (ii | V | I, vi | ii V | I)
APPROACH_SHARE = 0.5
CONTRAST_TRIES = 4  # progressions drawn for a contrasting section before one that differs from the earlier ones
ORDINALS = {1: "second", 2: "third", 3: "fourth"}


@dataclass
class HarmonyPlan:
    """The chords of a piece: `slots` chords a bar, flat; each bar's name; each section and its source."""

    chords: list[Chord]
    slots: int
    bars: list[str]
    sections: list[tuple[str, int, int, str]] = field(default_factory=list)  # (label, first bar, last bar, source)
    echoes: list[int | None] = field(default_factory=list)  # per bar, the earlier bar (1-based) it repeats
    cadences: list[int] = field(default_factory=list)  # the bars (from 1) of each section's closing cadence

    def describe(self) -> str:
        """"A bars 1-8 (library: axis): I V vi IV | ...; B bars 9-16 ..." for explain."""
        return "; ".join(f"{label} bars {first}-{last} ({source}): " + " | ".join(self.bars[first - 1:last])
                         for label, first, last, source in self.sections)


def plan_harmony(style: str, tonic: int, mode: str, bars: int, meter: tuple[int, int], *,
                 rng: random.Random, loop: bool = False) -> HarmonyPlan:
    """The chord plan of a piece in `style` (a texture or harmony style of composer.core.progressions)."""
    slots = 2 if meter[0] % 2 == 0 else 1  # two chords a bar where the bar halves evenly (not 3/4, 9/8)
    sections = _sections(bars, 12 if style == "blues" else 8)
    chosen: dict[str, tuple[list[tuple[str, ...]], str]] = {}
    shapes: dict[str, str] = {}  # label -> "period" or "sentence"
    names: list[tuple[str, ...]] = []
    described = []
    for index, (label, length) in enumerate(sections):
        if label not in chosen:
            phrase, source = _contrast(style, mode, rng, list(chosen.values()))
            sentence = style in SENTENCE_STYLES and len(phrase) == 4 and phrase[2] != phrase[3] \
                and rng.random() < SENTENCE_SHARE  # one that moves on
            shapes[label] = "sentence" if sentence else "period"
            chosen[label] = phrase, f"{source}, as a sentence" if sentence else source
        phrase, source = chosen[label]
        shape = shapes[label]
        if label in {lab for lab, _ in sections[:index]} and index < len(sections) - 1:  # a repeat, not the return
            phrase, source = _varied(phrase, style, mode, rng), f"{source}, varied by the chord model"
        first = len(names) + 1
        last_section = index == len(sections) - 1
        ending = "open" if loop and last_section else "half" if not last_section and length == 8 \
            and rng.random() < OPEN_SHARE else "close"
        names += _period(phrase, length, style, mode, ending, rng, shape)
        if ending == "half":
            source += ", ending open on the dominant"
        described.append((label, first, len(names), source))
    if loop and bars >= 2:  # the dominant seventh (a mode: its cadence chord) leads back into bar 1
        names[-1] = (cadence_for(style, mode).close[mode][0].split()[-1],) if mode in MODE_PROGRESSIONS else ("V7",)
    elif not loop:
        names[-1] = (cadence_for(style, mode).close[mode][1],)
    echoes = _echoes(names, described)
    chords = []
    for bar in names:
        # one chord a bar where two are written: the second, which leads into the next bar (ii V -> V)
        per_slot = [bar[min(i * len(bar) // slots, len(bar) - 1)] for i in range(slots)] if len(bar) <= slots \
            else [bar[-1]] * slots
        chords += [numeral_chord(numeral, tonic) for numeral in per_slot]
    cadences = sorted({bar for _, first, last, _ in described if last - first >= 1 for bar in (last - 1, last)})
    return HarmonyPlan(chords, slots, [" ".join(bar) for bar in names], described, echoes, cadences)


def key_margin(plan: HarmonyPlan, tonic: int, mode: str) -> float:
    """How much better music21's default key analysis finds the key than any other in the plan played as
    block chords (each slot's chord tones, its root an octave below); > 0: heard in key. A guide for a
    second plan, not a rule: the notes above the chords decide, and most plans of rock or funk colour that this
    hears elsewhere are heard in key once played."""
    from composer.core.analysis import key_correlations
    from composer.core.score import TICKS_PER_BEAT, Note, Score, Track
    from composer.core.theory import mode_family

    length = 4 * TICKS_PER_BEAT // plan.slots
    notes = [Note(pitch, i * length, (i + 1) * length) for i, chord in enumerate(plan.chords)
             for pitch in [48 + chord.root, *(60 + pc for pc in chord)]]
    found = key_correlations(Score(tracks=[Track("chords", 0, notes=notes)]))
    if found is None:
        return 0.0
    row = 0 if mode_family(mode) == "major" else 1
    asked = float(found[row, tonic % 12])
    found[row, tonic % 12] = -np.inf
    return asked - float(found.max())


def _echoes(names: list[tuple[str, ...]], sections: list[tuple[str, int, int, str]]) -> list[int | None]:
    """Which earlier bar each bar repeats, where the chords allow: a repeated section's bars its first
    occurrence's, a consequent phrase's first two bars the antecedent's (a period's opening comes back, its
    second bar perhaps on a substitute chord: composer.constraints.biases.MotifBias then echoes the lines
    only), and
    a bar on the chord of two bars back that bar's figure."""
    echoes: list[int | None] = [None] * len(names)
    first_of: dict[str, int] = {}
    for label, first, last, _ in sections:
        model = first_of.setdefault(label, first)
        for bar in range(first, last + 1):
            if model != first and names[bar - 1] == names[model + bar - first - 1]:
                echoes[bar - 1] = model + bar - first
            elif model == first and bar - first in (4, 5) and _answers(names[bar - 1], names[bar - 5]):
                echoes[bar - 1] = bar - 4
            elif bar - first >= 2 and names[bar - 1] == names[bar - 3]:  # the same chord two bars back: its figure
                echoes[bar - 1] = bar - 2
    return echoes


def _answers(bar: tuple[str, ...], question: tuple[str, ...]) -> bool:
    """Whether a consequent's bar answers the antecedent's: the same chords, or one chord's substitute."""
    if bar == question:
        return True
    return len(bar) == len(question) == 1 and _substitute(numeral_chord(bar[0], 0), numeral_chord(question[0], 0))


def _sections(bars: int, period: int) -> list[tuple[str, int]]:
    """The form's sections and their lengths in bars: periods of 8 bars (a blues chorus 12), a shorter piece
    one phrase."""
    periods = max(1, -(-bars // period))
    form = FORMS.get(periods) or "".join("AB"[(i // 2) % 2] if i < 4 else "CB"[i % 2] for i in range(periods))
    return [(label, min(period, bars - period * i)) for i, label in enumerate(form)]


def _progression(style: str, mode: str, rng: random.Random, taken: list[str]) -> tuple[list[tuple[str, ...]], str]:
    """A section's phrase (bars of numerals) and where it came from: the chord model or the library."""
    model_style, share = MODEL_STYLES.get(style, ("", 0.0))
    if model_style and rng.random() < share:
        sampled = _from_model(model_style, mode, rng)
        if sampled:
            return sampled, f"chord model ({model_style})"
    library = progressions_for(style, mode)
    fresh = [p for p in library if f"library: {p.name}" not in taken] or library
    progression = _weighted(fresh, rng)
    return list(progression.bars), f"library: {progression.name}"


def _contrast(style: str, mode: str, rng: random.Random,
              earlier: list[tuple[list[tuple[str, ...]], str]]) -> tuple[list[tuple[str, ...]], str]:
    """A new section's phrase and its source. After the first section it is a contrast: a four-bar loop that
    opens on the tonic starts from one of its other chords instead (a chorus on IV or vi, a bridge away from
    home), and it never repeats an earlier section's chords bar for bar (another progression is drawn)."""
    taken = [source for _, source in earlier]
    for _ in range(CONTRAST_TRIES):
        phrase, source = _progression(style, mode, rng, taken)
        away = [k for k in range(1, len(phrase)) if _root(phrase[k][0]) not in (0, 7)] if len(phrase) == 4 else []
        if earlier and away and _is_tonic(phrase[0]):
            k = rng.choice(away)
            phrase, source = phrase[k:] + phrase[:k], f"{source}, from its {ORDINALS[k]} bar"
        elif rng.random() < VARY_SHARE:
            phrase, source = _varied(phrase, style, mode, rng), f"{source}, varied by the chord model"
        if all(phrase != other for other, _ in earlier):
            break
        taken.append(source)
    return phrase, source


def _is_tonic(bar: tuple[str, ...]) -> bool:
    return _root(bar[0]) == 0


def _weighted(progressions: list[Progression], rng: random.Random) -> Progression:
    return rng.choices(progressions, weights=[p.weight ** 0.5 for p in progressions])[0]  # a favourite, not always


def _from_model(style: str, mode: str, rng: random.Random) -> list[tuple[str, ...]] | None:
    """Four bars from the chord model, one chord a bar, from the tonic (None without a shipped model)."""
    model = _model()
    if model is None or mode not in ("major", "minor"):  # the corpus's chords are major and minor keys'
        return None
    tonic = "I" if mode == "major" else "i"
    return [(numeral,) for numeral in model.sample(style, mode, 4, rng, start=tonic)]


def _varied(phrase: list[tuple[str, ...]], style: str, mode: str, rng: random.Random) -> list[tuple[str, ...]]:
    """A repeated phrase with one inner one-chord bar changed by the chord model (the phrase as it was
    without a model, in a mode the corpus does not have, or in a form longer than a period: a 12-bar blues
    keeps its changes, its variants are the library's)."""
    model = _model()
    single = [i for i, bar in enumerate(phrase[:4]) if len(bar) == 1]
    if model is None or mode not in ("major", "minor") or len(single) < 3 or len(phrase) > 8:
        return phrase
    varied = _vary(model, [phrase[i][0] for i in single], style, mode, rng)
    out = list(phrase)
    for i, numeral in zip(single, varied, strict=True):
        out[i] = (numeral,)
    return out


def _answered(consequent: list[tuple[str, ...]], style: str, mode: str,
              rng: random.Random) -> list[tuple[str, ...]]:
    """A consequent's first three bars with the second's chord drawn again by the chord model between the
    chords around it (only the style's own library chords in a style the corpus does not hold): the answer
    opens as the question did and goes its own way. As they were where the second bar holds two chords."""
    model = _model()
    if model is None or mode not in ("major", "minor") or len(consequent[1]) != 1:
        return consequent
    changed = _vary(model, [consequent[0][-1], consequent[1][0], consequent[2][0]], style, mode, rng)
    return [consequent[0], (changed[1],), consequent[2]]


def _vary(model: ChordModel, chords: list[str], style: str, mode: str, rng: random.Random) -> list[str]:
    """The chord model's variation of `chords` (first and last kept) in `style`. A style the corpus does not
    hold (rock, pop, funk, ...) changes a chord only for another of its own library's: the pooled classical
    model otherwise gave rock a iii diminished."""
    own = None if style in MODEL_STYLES else {n for p in progressions_for(style, mode) for bar in p.bars for n in bar}
    return model.vary(chords, MODEL_STYLES.get(style, (style, 0.0))[0], mode, rng, allowed=own)


def _substitute(chord: Chord, other: Chord) -> bool:
    """Another root whose chord shares two or more tones with `other` (a tonic's relative, a mediant)."""
    return chord.root != other.root and len(chord & other) >= 2


def _model() -> ChordModel | None:
    """The shipped chord model (None without one: the library alone)."""
    try:
        return ChordModel.load()
    except (FileNotFoundError, ComposerError):
        return None


def _period(phrase: list[tuple[str, ...]], length: int, style: str, mode: str, ending: str,
            rng: random.Random, shape: str = "period") -> list[tuple[str, ...]]:
    """`length` bars (8 at most) from a phrase: the antecedent ends open, the consequent on the cadence
    (`ending` "close"), on a half cadence ("half": the predominant, then the dominant) or as its phrase goes
    ("open": a loop's last period, whose last bar the planner sets). A "period" `shape` starts its consequent
    as the antecedent began; a "sentence" goes on from the phrase's second half instead (presentation, then
    continuation into the cadence)."""
    cadence = cadence_for(style, mode)
    closed = ending != "open"
    if len(phrase) > 8 or length < 4:  # a long progression (a canon, a 12-bar blues) or a short piece
        bars = [phrase[i % len(phrase)] for i in range(length)]
    else:
        antecedent = [phrase[i % len(phrase)] for i in range(4)]
        if style in HALF_CADENCE_STYLES or mode in MODE_PROGRESSIONS:
            antecedent[3] = tuple(cadence.half[mode].split())
        consequent = list(phrase[4:8]) if len(phrase) == 8 else [phrase[i % len(phrase)] for i in range(4)]
        if shape == "sentence" and len(phrase) == 4:
            consequent = consequent[2:] + consequent[:2]
        bars = (antecedent + consequent)[:length]
    if closed and length >= 2:
        before, last = cadence.close[mode]
        plagal = ending == "close" and style in PLAGAL_STYLES and mode in PREDOMINANTS and rng.random() < PLAGAL_SHARE
        if plagal:
            before = "IV" if mode == "major" else "iv"  # amen
        own = bars[-2][-1]  # the phrase's chord where the cadence begins
        lead_in = not plagal and len(before.split()) == 1 and _root(own) not in (0, _root(before))
        bars[-2] = (own, before) if lead_in else tuple(before.split())  # its chord leads into the dominant
        bars[-1] = (last,)
        if length >= 3 and mode in PREDOMINANTS and _root(bars[-3][-1]) == _root(bars[-2][0]):  # not V V I, IV IV V I
            bars[-3] = (_predominant(style, mode, rng, _root(bars[-4][-1]) if length >= 4 else None),)  # nor ii ii V I
        if length == 8 and bars[4:] == bars[:4] and mode in PREDOMINANTS:  # the answer is not the question again
            bars[6] = ("V7",) if bars[6] != ("V7",) else (PREDOMINANTS[mode][0],)
        if length == 8 and shape == "period" and rng.random() < ANSWER_SHARE:
            bars[4:7] = _answered(bars[4:7], style, mode, rng)
        if length >= 4 and len(phrase) <= 8 and rng.random() < APPROACH_SHARE:
            bars = _approach(bars, style, mode, before.split()[-1], rng)
    if ending == "half" and length >= 3:
        half = cadence.half[mode].split()
        on_dominant = _root(bars[-2][-1]) == _root(half[-1])  # V | I becomes predominant | V
        if mode not in PREDOMINANTS:
            if on_dominant:
                bars[-2] = (half[0],)
        elif on_dominant or _root(bars[-3][-1]) == _root(bars[-2][-1]):  # nor ii | ii | V, IV | IV | V
            bars[-2] = (_predominant(style, mode, rng, _root(bars[-3][-1])),)
        bars[-1] = (half[-1],)
    return bars


def _approach(bars: list[tuple[str, ...]], style: str, mode: str, dominant: str,
              rng: random.Random) -> list[tuple[str, ...]]:
    """A closing period's bars with the two before its last drawn by weight from the style's cadential
    approaches (composer.core.progressions.APPROACHES): ii | V, vi | ii V, IV | iv V, ... An approach never
    starts on the chord before it or on its own cadence chord (rock's V | IV, not IV | IV)."""
    found = [(approach, weight) for approach, weight in approaches_for(style, mode, dominant)
             if _root(approach[0][0]) not in (_root(bars[-4][-1]), _root(approach[1][0]))]
    if not found:
        return bars
    approach = rng.choices([a for a, _ in found], weights=[w for _, w in found])[0]
    return bars[:-3] + list(approach) + bars[-1:]


def _predominant(style: str, mode: str, rng: random.Random, avoid: int | None = None) -> str:
    """The chord before a cadence's dominant in a major or minor key (swing and lo-fi take its seventh): one
    of PREDOMINANTS and OTHER_PREDOMINANTS (ii or IV; bVI or iv) at random, of those whose root is not `avoid`,
    the chord just before it."""
    jazz = style in JAZZ_STYLES
    found = [c for c in (PREDOMINANTS[mode][jazz], OTHER_PREDOMINANTS[mode][jazz]) if _root(c) != avoid]
    return rng.choice(found)


def _root(numeral: str) -> int:
    return numeral_chord(numeral, 0).root
