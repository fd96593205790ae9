"""Self-supervised labels of a piece, read from the music itself, and the bins they fall into.

Bins (documented here and printed by `python -m composer.train.data.attributes`):
- key: the 24 major/minor keys as music21's default key analysis (Aarden-Essen) finds them.
- tempo: quarter-note BPM; a source without a tempo gets its style's default from STYLE_TEMPO.
  Bins: <60 grave, 60-75 slow, 76-95 andante, 96-115 moderato, 116-139 allegro, 140-175 fast, >=176 presto.
- meter: the first time signature, one of the tokenizer's meters (else "other").
- instruments: the GM programs present (drums as -1).
- density: notes per bar over all tracks: <4 sparse, 4-8 light, 8-16 medium, 16-32 busy, >=32 dense.
- register: mean pitch of pitched notes: <52 low, 52-66 mid, >66 high.
- dynamics: mean velocity: <50 pp, 50-69 p, 70-89 mf, 90-109 f, >=110 ff.
- polyphony: mean notes sounding at each onset: <1.5 mono, 1.5-3 sparse chords, >=3 full.
- bars: number of bars: <=8, <=16, <=32, <=64, more.
- style: from the collection, refined by the abc R: field (reel, jig, hornpipe, ...).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from composer.core.analysis import estimate_key, onset_polyphony
from composer.core.score import Score
from composer.decode.controls import (
    BAR_BINS,
    BAR_EDGES,
    DENSITY_BINS,
    DENSITY_EDGES,
    DYNAMIC_BINS,
    DYNAMIC_EDGES,
    POLYPHONY_BINS,
    POLYPHONY_EDGES,
    REGISTER_BINS,
    REGISTER_EDGES,
    TEMPO_BINS,
    TEMPO_EDGES,
    bin_of,
)
from composer.train.data.sources import COLLECTION_STYLE

# Quarter-note BPM for sources that state no tempo, by style: typical performance tempi.
STYLE_TEMPO = {
    "chorale": 80, "renaissance": 100, "madrigal": 100, "medieval": 100, "folksong": 100,
    "reel": 200, "jig": 180, "slipjig": 180, "slide": 180, "hornpipe": 150, "strathspey": 120,
    "polka": 130, "march": 110, "waltz": 150, "air": 80, "irish": 160, "scottish": 120,
    "classical": 100, "baroque": 100, "romantic": 90, "ragtime": 100, "song": 90, "modern": 80,
    "user": 120,
}
RHYTHM_STYLE = {  # abc R: values, lower-case, to a style
    "reel": "reel", "double jig": "jig", "jig": "jig", "single jig": "jig", "slip jig": "slipjig",
    "slide": "slide", "hornpipe": "hornpipe", "strathspey": "strathspey", "polka": "polka",
    "march": "march", "waltz": "waltz", "air": "air", "slow air": "air",
}


def style_of(collection: str, rhythm: str) -> str:
    rhythm = rhythm.strip().lower()
    for word, style in RHYTHM_STYLE.items():
        if rhythm.startswith(word):
            return style
    return COLLECTION_STYLE.get(collection, "user" if collection == "user" else "folksong")


@dataclass(frozen=True)
class Attributes:
    key: str  # "Eb major"
    tempo_bpm: float
    tempo_from_source: bool
    meter: str  # "6/8"
    programs: tuple[int, ...]  # GM programs; -1 for drums
    notes_per_bar: float
    mean_pitch: float
    pitch_low: int
    pitch_high: int
    mean_velocity: float
    polyphony: float
    bars: int
    style: str

    @property
    def bins(self) -> dict[str, str]:
        return {
            "tempo": bin_of(self.tempo_bpm, TEMPO_EDGES, TEMPO_BINS),
            "density": bin_of(self.notes_per_bar, DENSITY_EDGES, DENSITY_BINS),
            "register": bin_of(self.mean_pitch, REGISTER_EDGES, REGISTER_BINS),
            "dynamics": bin_of(self.mean_velocity, DYNAMIC_EDGES, DYNAMIC_BINS),
            "polyphony": bin_of(self.polyphony, POLYPHONY_EDGES, POLYPHONY_BINS),
            "bars": bin_of(self.bars, BAR_EDGES, BAR_BINS),
        }

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "bins": self.bins}


def extract_attributes(score: Score, collection: str, rhythm: str = "", tempo_from_source: bool = True) -> Attributes:
    """Label a piece from its notes; the style comes from where it was found."""
    key = estimate_key(score)
    pitched = [n for t in score.tracks if not t.is_drum for n in t.notes]
    style = style_of(collection, rhythm)
    tempo = score.tempos[0].bpm if tempo_from_source and score.tempos else float(STYLE_TEMPO.get(style, 100))
    bars = max(1, len(score.bar_starts()))
    pitches = np.array([n.pitch for n in pitched]) if pitched else np.array([60])
    velocities = [n.velocity for t in score.tracks for n in t.notes] or [64]
    return Attributes(
        key=key.name if key else "C major",
        tempo_bpm=round(float(tempo), 2),
        tempo_from_source=tempo_from_source,
        meter=str(score.time_signatures[0]) if score.time_signatures else "4/4",
        programs=tuple(sorted({-1 if t.is_drum else t.program for t in score.tracks if t.notes})),
        notes_per_bar=round(score.note_count / bars, 2),
        mean_pitch=round(float(pitches.mean()), 2),
        pitch_low=int(pitches.min()),
        pitch_high=int(pitches.max()),
        mean_velocity=round(float(np.mean(velocities)), 2),
        polyphony=round(onset_polyphony(score), 2),
        bars=bars,
        style=style,
    )


if __name__ == "__main__":
    print(__doc__)
