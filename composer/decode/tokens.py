"""The token vocabulary: miditok's REMI (programs, tempos, meters) plus composer's control tokens.

Run `python -m composer.decode.tokens` to print the id layout.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import miditok

from composer.core.atomic import write_bytes_atomic
from composer.core.score import Score
from composer.decode.parts import NO_CHORD, bar_chord_tokens, score_roles, with_parts
from composer.output.midi_io import from_symusic, to_symusic

SPECIAL_TOKENS = ("PAD", "BOS", "EOS", "MASK")


@dataclass(frozen=True)
class TokenizerSettings:
    """Everything that defines the vocabulary; saved as JSON beside every model."""

    pitch_range: tuple[int, int] = (21, 109)  # A0..C8, the piano's keys; notes outside are dropped
    beat_resolution: int = 12  # positions per beat: 16ths and 8th/16th triplets both land on the grid
    long_note_resolution: int = 4  # durations of 4..12 beats are kept to a quarter of a beat
    max_note_beats: int = 12  # longer notes are cut to this many beats
    num_velocities: int = 16  # velocity levels, evenly spaced over 1..127
    num_tempos: int = 32  # tempo levels, log-spaced over tempo_range
    tempo_range: tuple[int, int] = (40, 250)
    # Meters the vocabulary can spell. 2/2 and 3/2 for Renaissance polyphony, x/8 for jigs and slides.
    time_signatures: tuple[str, ...] = (
        "1/4", "2/4", "3/4", "4/4", "5/4", "6/4", "1/2", "2/2", "3/2", "4/2", "3/8", "6/8", "9/8", "12/8")
    # Attribute tokens (key, meter, instruments, style, ...) appended after miditok's vocabulary;
    # the model issue fills them in. Each is "Type_Value", like miditok's own tokens.
    control_tokens: tuple[str, ...] = field(default_factory=tuple)

    def miditok_config(self) -> miditok.TokenizerConfig:
        meters: dict[int, list[int]] = {}
        for meter in self.time_signatures:
            numerator, denominator = (int(x) for x in meter.split("/"))
            meters.setdefault(denominator, []).append(numerator)
        return miditok.TokenizerConfig(
            pitch_range=self.pitch_range,
            beat_res={(0, 4): self.beat_resolution, (4, self.max_note_beats): self.long_note_resolution},
            num_velocities=self.num_velocities,
            special_tokens=list(SPECIAL_TOKENS),
            use_programs=True,
            one_token_stream_for_programs=True,
            use_tempos=True,
            num_tempos=self.num_tempos,
            tempo_range=self.tempo_range,
            log_tempos=True,
            use_time_signatures=True,
            time_signature_range=meters,
        )


class MusicTokenizer:
    """Score <-> token ids. Ids 0..base-1 are miditok's REMI vocabulary; control tokens follow."""

    def __init__(self, settings: TokenizerSettings | None = None) -> None:
        self.settings = settings or TokenizerSettings()
        self.remi = miditok.REMI(self.settings.miditok_config())
        self.base_size = len(self.remi)
        for token in self.settings.control_tokens:
            if "_" not in token:
                raise ValueError(f"control token {token!r} must look like Type_Value")
            self.remi.add_to_vocab(token)
        self.vocab: dict[str, int] = dict(self.remi.vocab)
        self.tokens: list[str] = sorted(self.vocab, key=self.vocab.__getitem__)

    def __len__(self) -> int:
        return len(self.tokens)

    def token_id(self, token: str) -> int:
        """The id of `token`; special tokens may be given without miditok's "_None" suffix."""
        return self.vocab[token] if token in self.vocab else self.vocab[f"{token}_None"]

    @property
    def pad_id(self) -> int:
        return self.token_id("PAD")

    @property
    def bos_id(self) -> int:
        return self.token_id("BOS")

    @property
    def eos_id(self) -> int:
        return self.token_id("EOS")

    def prefix(self, controls: Sequence[str]) -> list[int]:
        """BOS and the ids of `controls`; role tokens are left out for a vocabulary without them."""
        return [self.bos_id] + [self.vocab[c] for c in controls if self.part_wise or not c.startswith("Role_")]

    @property
    def part_wise(self) -> bool:
        """The vocabulary has role and chord tokens (composer.decode.parts): bars carry their chords."""
        return NO_CHORD in self.vocab

    def encode(self, score: Score, roles: dict[int, str] | None = None,
               chords: list[list[str]] | None = None) -> list[int]:
        """The music of `score` as REMI token ids (no BOS, EOS or prefix). A part-wise vocabulary adds each
        bar's chord tokens (`chords`, else analysed from the notes) and orders a position's notes by role
        (`roles`, program -> role, else read from the music)."""
        ids = list(self.remi.encode(to_symusic(score)).ids)
        if not self.part_wise:
            return ids
        tokens = [self.tokens[i] for i in ids]
        bars = sum(1 for t in tokens if t.startswith("TimeSig_"))
        chords = chords if chords is not None else bar_chord_tokens(score, bars)
        return [self.vocab[t] for t in with_parts(tokens, chords, roles or score_roles(score))]

    def decode(self, ids: Sequence[int]) -> Score:
        """A Score from token ids; special and control tokens are skipped, one track per program."""
        special = {self.token_id(t) for t in SPECIAL_TOKENS}
        music = [i for i in ids if i < self.base_size and i not in special]
        decoded = self.remi.decode(music) if music else None
        if decoded is None:
            return Score()
        return from_symusic(decoded)

    def token_type(self, token_id: int) -> str:
        """The type of a token, e.g. "Pitch" for "Pitch_60"."""
        return self.tokens[token_id].split("_", 1)[0]

    def layout(self) -> list[tuple[str, int, int]]:
        """Contiguous id ranges by token type: (type, first id, last id)."""
        ranges: list[tuple[str, int, int]] = []
        for token_id in range(len(self.tokens)):
            kind = self.token_type(token_id)
            if ranges and ranges[-1][0] == kind and ranges[-1][2] == token_id - 1:
                ranges[-1] = (kind, ranges[-1][1], token_id)
            else:
                ranges.append((kind, token_id, token_id))
        return ranges

    def to_json(self) -> dict[str, Any]:
        return {
            "composer_version": version_of("composer"),
            "miditok_version": version_of("miditok"),
            "tokenization": "REMI",
            "settings": dataclasses.asdict(self.settings),
            "vocab_size": len(self),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the settings as JSON (never a pickle); `load` rebuilds the same vocabulary from them."""
        return write_bytes_atomic(path, (json.dumps(self.to_json(), indent=2) + "\n").encode())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MusicTokenizer:
        data = json.loads(Path(path).read_text())
        raw = data["settings"]
        fields: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}
        settings = TokenizerSettings(**fields)
        tokenizer = cls(settings)
        if tokenizer.__len__() != data["vocab_size"]:
            raise ValueError(f"{path}: vocabulary has {len(tokenizer)} tokens, the file says "
                             f"{data['vocab_size']} (miditok {version_of('miditok')} vs "
                             f"{data.get('miditok_version')})")
        return tokenizer


def version_of(package: str) -> str:
    try:
        return version(package)
    except Exception:
        return "unknown"


def main() -> None:
    tokenizer = MusicTokenizer()
    print(f"REMI vocabulary, {len(tokenizer)} tokens (miditok {version_of('miditok')})")
    for kind, first, last in tokenizer.layout():
        example = tokenizer.tokens[first]
        print(f"  {first:>5}-{last:<5} {kind:<10} {last - first + 1:>4}   e.g. {example}")


if __name__ == "__main__":
    main()
