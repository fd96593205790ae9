"""Parts in the token stream: role tokens in the prefix, chord tokens in every bar, parts ordered by role.

The part-wise vocabulary keeps REMI's time-major stream (every part's notes at a position, then the next
position) and makes parts first-class in three ways:

  prefix   Inst_40 Role_melody Inst_42 Role_bass ...   each part's instrument and its role
  bar      Bar TimeSig Chord_2-min [Chord_7-dom7] ...  the bar's chord (two in even meters: one a half bar)
  position Position Program(melody) ... Program(bass) ... Program(others)  the melody first, then the bass

so a part is written knowing its role and the harmony, and at every onset the bass sees the melody's note
and the inner parts see both. Parts that share a program are kept apart by voices' stand-in programs
(composer.core.voices), in training as at generation. Chord tokens come from composer.core.analysis's
templates on the notes themselves (training data, a user's MIDI) or from the chord plan (generation).
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import numpy as np

from composer.core.analysis import CHORD_TEMPLATES, best_template
from composer.core.harmony import Chord
from composer.core.roles import ROLES
from composer.core.score import TICKS_PER_BEAT, Score, TimeSignature

# The analysis templates by chord-token name (composer.core.analysis.CHORD_TEMPLATES's keys).
CHORD_QUALITIES = {"": "maj", "m": "min", "7": "dom7", "dim": "dim", "m7": "min7", "maj7": "maj7", "sus4": "sus4"}
NO_CHORD = "Chord_none"
# the order of parts at one position: the tune first, then the bass, then the parts between them
ROLE_ORDER = ("melody", "bass", "counter", "comp", "pad", "arp", "doubling")
# Roles the training corpus never has (no arpeggiated or doubling parts) are conditioned as the nearest it has.
CONDITIONED_AS = {"arp": "comp", "doubling": "counter"}
PAD_BEATS = 2.0  # a harmony part whose notes last this long on average is a pad, else comping


def chord_slots(numerator: int) -> int:
    """Chords a bar: two where the bar halves evenly (4/4, 2/2, 6/8), else one (3/4, 9/8)."""
    return 2 if numerator % 2 == 0 else 1


def chord_tokens() -> tuple[str, ...]:
    """Every chord token: a root pitch class and a template quality, and no chord (a silent span)."""
    return (*(f"Chord_{root}-{quality}" for quality in CHORD_QUALITIES.values() for root in range(12)), NO_CHORD)


def role_tokens() -> tuple[str, ...]:
    return tuple(f"Role_{role}" for role in ROLES)


def chord_token(label: tuple[int, str] | None) -> str:
    """The token of an analysis label (root, template name); NO_CHORD for None."""
    if label is None:
        return NO_CHORD
    return f"Chord_{label[0] % 12}-{CHORD_QUALITIES[label[1]]}"


def token_of_chord(chord: AbstractSet[int] | None) -> str:
    """The token nearest a planned chord's pitch classes (a Chord keeps its own root)."""
    if not chord:
        return NO_CHORD
    weights = np.zeros(12)
    weights[list(chord)] = 1.0
    roots = (chord.root,) if isinstance(chord, Chord) else range(12)
    return chord_token(best_template(weights, roots))


def transposed_chord(token: str, semitones: int) -> str:
    """A chord token moved by `semitones` (NO_CHORD stays)."""
    if token == NO_CHORD:
        return token
    root, quality = token.removeprefix("Chord_").split("-")
    return f"Chord_{(int(root) + semitones) % 12}-{quality}"


def score_roles(score: Score) -> dict[int, str]:
    """program -> role of a score's pitched parts, from the music: the highest part is the melody; a part
    below it that plays one note at a time is the bass when it is the lowest, else a counter-line; a part
    playing chords is comping, or a pad when its notes last PAD_BEATS or more."""
    parts: dict[int, list] = {}
    for track in score.tracks:
        if not track.is_drum and track.notes:
            parts.setdefault(track.program, []).extend(track.notes)
    if not parts:
        return {}
    by_height = sorted(parts, key=lambda p: -float(np.mean([n.pitch for n in parts[p]])))
    roles = {by_height[0]: "melody"}
    for index, program in enumerate(by_height[1:], start=1):
        notes = parts[program]
        if len(notes) < 1.5 * len({n.start for n in notes}):  # one note at a time
            roles[program] = "bass" if index == len(by_height) - 1 else "counter"
        else:
            beats = float(np.mean([n.end - n.start for n in notes])) / TICKS_PER_BEAT
            roles[program] = "pad" if beats >= PAD_BEATS else "comp"
    return roles


def bar_chord_tokens(score: Score, bars: int) -> list[list[str]]:
    """The chord tokens of each of the first `bars` bars: chord_slots of its meter, from the notes (the
    templates of composer.core.analysis.chord_label, for every slot at once)."""
    meters = sorted(score.time_signatures, key=lambda ts: ts.tick) or [TimeSignature(0, 4, 4)]
    starts = score.bar_starts(until_tick=max(score.end_tick, score.length_ticks))[:bars]
    bounds: list[int] = []  # slot start ticks, then the end of the last slot
    per_bar: list[int] = []
    for start in starts:
        meter = next((m for m in reversed(meters) if m.tick <= start), meters[0])
        slots = chord_slots(meter.numerator)
        per_bar.append(slots)
        bounds += [start + i * (meter.bar_ticks // slots) for i in range(slots)]
    if not bounds:
        return [[NO_CHORD] for _ in range(bars)]
    last = meters[-1] if starts[-1] >= meters[-1].tick else meters[0]
    edges = np.array([*bounds, starts[-1] + last.bar_ticks])
    weights = np.zeros((len(bounds), 12))
    for track in score.tracks:
        if track.is_drum:
            continue
        for note in track.notes:
            slot = max(0, int(np.searchsorted(edges, note.start, side="right")) - 1)
            while slot < len(bounds) and edges[slot] < note.end:
                overlap = min(note.end, edges[slot + 1]) - max(note.start, edges[slot])
                if overlap > 0:
                    weights[slot, note.pitch % 12] += overlap
                slot += 1
    labels = [chord_token(label) for label in best_templates(weights)]
    out, at = [], 0
    for slots in per_bar:
        out.append(labels[at:at + slots])
        at += slots
    return out + [[NO_CHORD] for _ in range(bars - len(out))]


def _template_matrix() -> tuple[np.ndarray, list[tuple[int, str]]]:
    """(templates x 12) membership, in chord_label's search order (template, then root), and their labels."""
    rows, labels = [], []
    for name, intervals in CHORD_TEMPLATES.items():
        for root in range(12):
            row = np.zeros(12)
            row[[(root + step) % 12 for step in intervals]] = 1.0
            rows.append(row)
            labels.append((root, name))
    return np.array(rows), labels


TEMPLATES, TEMPLATE_LABELS = _template_matrix()


def best_templates(weights: np.ndarray) -> list[tuple[int, str] | None]:
    """best_template for each row of (n, 12) weights at once (None for a silent row)."""
    total = weights.sum(axis=1, keepdims=True)
    inside = weights @ TEMPLATES.T
    fits = inside - (total - inside) - 0.01 * TEMPLATES.sum(axis=1) * total
    best = np.argmax(fits, axis=1)
    return [TEMPLATE_LABELS[int(b)] if t > 0 else None for b, t in zip(best, total[:, 0], strict=True)]


def with_parts(tokens: Sequence[str], chords: list[list[str]], roles: dict[int, str]) -> list[str]:
    """REMI tokens with each bar's chord tokens after its TimeSig and each position's notes in role order."""
    rank = {program: ROLE_ORDER.index(role) for program, role in roles.items()}
    out: list[str] = []
    bar = -1
    group: list[list[str]] = []  # the current position's notes, each Program Pitch Velocity Duration

    def flush() -> None:
        for note in sorted(group, key=lambda n: rank.get(int(n[0].split("_")[1]), len(ROLE_ORDER))):
            out.extend(note)
        group.clear()

    for token in tokens:
        kind = token.split("_", 1)[0]
        if kind == "Program":
            group.append([token])
        elif group and kind in ("Pitch", "PitchDrum", "Velocity", "Duration"):
            group[-1].append(token)
        else:
            flush()
            out.append(token)
            if kind == "TimeSig":
                bar += 1
                numerator = int(token.split("_")[1].split("/")[0])
                slots = chord_slots(numerator)
                planned = chords[bar] if bar < len(chords) else [NO_CHORD]
                out.extend((planned * slots)[:slots] if len(planned) < slots else planned[:slots])
    flush()
    return out
