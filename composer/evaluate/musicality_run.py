"""`composer eval musicality`: generate a prompt set, measure the written files beside real music and two ablations.

Three generated conditions, same prompts, seeds, bars and code, each piece judged from its MIDI file alone:
  composer        the shipped model under its masks and biases, as `composer generate` runs it
  masked random   the model's logits replaced by zeros: uniform choice under the same masks and biases
  model alone     `--constraints-off soft`: every bias and texture template off, the hard masks on
  no soft biases  the model under the hard masks only (meter, key, instruments, polyphony, cadence); no roles
Beside them the references (composer.evaluate.references): chorales, quartets, folk tunes and piano pieces.
A headline metric on which composer is within two standard errors of masked random is marked: the masks,
not the model, decide it.
"""

from __future__ import annotations

import contextlib
import json
import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError
from composer.evaluate.musicality import PartMetrics, PieceMetrics, measure_midi, parts_present, set_metrics
from composer.evaluate.musicality_roles import FAMILIES
from composer.evaluate.references import build_references

SOFT_BIASES = ["chords", "harmony", "tonal", "leaps", "targets", "coverage", "motif", "density", "loop", "roles",
               "register", "texture"]
DEFAULT_PLAN = [0, 5, 0, 7]  # I IV I V7: the constraints' default harmony when no chords are asked for
ROLE_KEYS = ("bass", "melody", "comp", "pad", "two_hands")  # prompt-file fields naming a role's family
# A prompt is a jazz prompt when its text, lower-cased, holds one of these words (as a substring: "swinging").
JAZZ_WORDS = ("jazz", "swing", "bebop", "bossa", "blues")


@dataclass(frozen=True)
class Condition:
    """One way of generating: its name, the constraint switches it turns off, and whether logits are zeros."""

    name: str
    constraints_off: tuple[str, ...] = ()
    uniform: bool = False


CONDITIONS = (Condition("composer"), Condition("masked random", uniform=True),
              Condition("model alone", ("soft",)), Condition("no soft biases", tuple(SOFT_BIASES)))


def _parts(piece: PieceMetrics, test: Callable[[PartMetrics], bool]) -> list[PartMetrics]:
    return [part for part in piece.parts if test(part)]


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def _role(name: str, attribute: str) -> Callable[[PieceMetrics], float | None]:
    return lambda piece: _mean([getattr(p, attribute) for p in _parts(piece, lambda p: p.role == name)])


def _all_parts(attribute: str) -> Callable[[PieceMetrics], float | None]:
    return lambda piece: _mean([getattr(p, attribute) for p in piece.parts])


def _piece(attribute: str) -> Callable[[PieceMetrics], float | None]:
    return lambda piece: None if getattr(piece, attribute) is None else float(getattr(piece, attribute))


def _accompaniment(attribute: str) -> Callable[[PieceMetrics], float | None]:
    return lambda piece: _mean([getattr(p, attribute) for p in _parts(piece, lambda p: p.role != "melody")])


def _melody_span(piece: PieceMetrics) -> float | None:
    """How far a tune travels: its 95th minus its 5th percentile pitch, over the melody parts."""
    return _mean([p.p95_pitch - p.p5_pitch for p in _parts(piece, lambda p: p.role == "melody")])


VOICE_NAMES = ("soprano", "alto", "tenor", "bass", "melody", "voice")  # program 0 is also "no program given"


def _keyboards(piece: PieceMetrics) -> float | None:
    """chord_onsets over keyboard parts: GM 0-7, unless the track is named as a voice or a bare melody."""
    return _mean([p.chord_onsets for p in _parts(
        piece, lambda p: 0 <= p.program <= 7 and not any(w in p.name.lower() for w in VOICE_NAMES))])


# (key, label, per-piece value). Definitions: composer.evaluate.musicality's docstring.
HEADLINES: tuple[tuple[str, str, Callable[[PieceMetrics], float | None]], ...] = (
    ("bass_median", "bass part: median pitch (MIDI)", _role("bass", "median_pitch")),
    ("bass_in_range", "bass part: notes in its idiomatic range", _role("bass", "in_range")),
    ("bass_lowest", "bass part is the lowest note", _piece("bass_lowest")),
    ("bass_root", "bass on the chord root at the downbeat", _piece("bass_root")),
    ("voice_crossing", "voice crossing between ordered parts", _piece("voice_crossing")),
    ("co_sounding", "parts sounding together (pairwise)", _piece("co_sounding")),
    ("parts_present", "requested parts sounding in 90% of their bars", _piece("parts_present")),
    ("melody_step", "melody: stepwise motion (1-2 semitones)", _role("melody", "step_share")),
    ("melody_leap", "melody: leaps of 3-7 semitones", _role("melody", "leap_3_7")),
    ("melody_octave", "melody: leaps over an octave", _role("melody", "leap_over_octave")),
    ("melody_unison", "melody: the same note again (share of all intervals)", _role("melody", "unison_share")),
    ("melody_compression", "melody: compression gain", _role("melody", "compression_gain")),
    ("melody_span", "melody: pitch span, 5th-95th percentile (semitones)", _melody_span),
    ("chord_tone_strong", "chord tones on strong beats (all parts)", _all_parts("chord_tone_strong")),
    ("onset_repeat", "bars whose rhythm recurs in the part", _all_parts("onset_repeat")),
    ("pitch_repeat", "bars whose pitch pattern recurs in the part", _all_parts("pitch_repeat")),
    ("texture_repeat", "whole-texture bar repeats", _piece("texture_repeat")),
    ("clash_rate", "clashes (minor 2nd / major 7th)", _piece("clash_rate")),
    ("keyboard_chords", "keyboard onsets that are chords of 3+", _keyboards),
    ("pad_polyphony", "pads: notes sounding at once", _role("pad", "polyphony")),
    ("accompaniment_density", "accompanying parts: notes per bar", _accompaniment("notes_per_bar")),
    ("melody_density", "melody: notes per bar", _role("melody", "notes_per_bar")),
    ("ending_tonic", "last bar ends on the tonic in the bass", _piece("ending_tonic")),
    ("ending_full", "ends on the tonic triad, tonic in the bass", _piece("ending_full")),
    ("seventh_share", "bars on a seventh chord", _piece("seventh_share")),
    ("cadence_share", "8-bar periods ending in a cadence", _piece("cadence_share")),
)


@dataclass
class Group:
    """Measured pieces of one condition or reference group, with their file names."""

    name: str
    kind: str  # "generated" or "reference"
    files: list[str] = field(default_factory=list)
    pieces: list[PieceMetrics] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)  # each generated piece's prompt text; none for references

    def headline(self, key: str) -> dict[str, float | int | None]:
        """Mean, standard error and count of a headline metric over the pieces that have it."""
        extract = {k: f for k, _, f in HEADLINES}[key]
        values = [v for v in (extract(p) for p in self.pieces) if v is not None]
        if not values:
            return {"mean": None, "se": None, "n": 0}
        se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
        return {"mean": sum(values) / len(values), "se": se, "n": len(values)}


def load_musicality_prompts(path: str | Path) -> list[dict[str, Any]]:
    """The prompt file: one JSON object a line with `id`, `prompt` and optional role families."""
    source = Path(path)
    if not source.is_file():
        raise ComposerError(f"no prompt file at {source}; give --prompts FILE (JSON lines with id and prompt)")
    prompts = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ComposerError(f"{source}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("prompt"), str):
            raise ComposerError(f"{source}:{number}: each line needs a \"prompt\" string")
        entry.setdefault("id", f"p{number:02d}")
        for role in ROLE_KEYS:
            if role in entry and entry[role] not in FAMILIES:
                raise ComposerError(f"{source}:{number}: {role} family {entry[role]!r} is not one of "
                                    f"{', '.join(sorted(FAMILIES))}")
        prompts.append(entry)
    if not prompts:
        raise ComposerError(f"{source} holds no prompts")
    return prompts


class UniformDecoder:
    """A decoder whose logits are all zeros: the masks and biases alone choose (the masked-random ablation)."""

    def __init__(self, vocab_size: int) -> None:
        self.vocab_size = vocab_size

    def prefill(self, tokens: Any, condition: Any = None, pin: bool = False) -> tuple[Any, None]:
        import torch

        return torch.zeros(1, self.vocab_size), None

    def step(self, token: Any, cache: Any) -> tuple[Any, None]:
        import torch

        return torch.zeros(1, self.vocab_size), None


@contextlib.contextmanager
def uniform_logits() -> Iterator[None]:
    """Within the block, the sampling loop decodes with UniformDecoder instead of the model."""
    from composer.decode import sampling

    original = sampling.decoder_for
    sampling.decoder_for = lambda model, int8=True: UniformDecoder(model.cfg.vocab_size)  # type: ignore[assignment]
    try:
        yield
    finally:
        sampling.decoder_for = original


def expected_roles(entry: dict[str, Any]) -> dict[str, str]:
    return {key: entry[key] for key in ROLE_KEYS if isinstance(entry.get(key), str)}


def generate_condition(condition: Condition, prompts: list[dict[str, Any]], seeds: Sequence[int], bars: int,
                       out_dir: Path, tick: Callable[[], None]) -> Group:
    """Compose every prompt x seed under `condition`, write each MIDI file, measure it from the file."""
    from composer.pipeline import compose

    group = Group(condition.name, "generated")
    folder = out_dir / "generated" / condition.name.replace(" ", "-")
    folder.mkdir(parents=True, exist_ok=True)
    with uniform_logits() if condition.uniform else contextlib.nullcontext():
        for entry in prompts:
            for seed in seeds:
                piece = compose(entry["prompt"], bars=bars, seed=seed,
                                constraints_off=list(condition.constraints_off) or None)
                path = piece.save_midi(folder / f"{entry['id']}-s{seed}.mid")
                group.files.append(str(path))
                measured = measure_midi(path, expected=expected_roles(entry) or None)
                measured.parts_present = requested_present(piece, measured)
                group.pieces.append(measured)
                group.prompts.append(entry["prompt"])
                tick()
    return group


def requested_present(piece: Any, measured: PieceMetrics) -> float | None:
    """parts_present over the parts the piece was asked for (its roles), a part that never plays counting as
    silent (a keyboard's two hands are one track: each is heard where the track is); the measured parts' own
    share when the piece names no roles."""
    asked = list((piece.attributes.get("roles") or {}).get("value") or {})
    if not asked:
        return measured.parts_present
    heard = {p.name: p.bars_sounding for p in measured.parts}
    return parts_present([heard.get(name, heard.get(instrument_of(name), 0.0)) for name in asked])


HANDS = (" (right hand)", " (left hand)")


def instrument_of(part: str) -> str:
    """A keyboard hand's instrument ("Accordion (left hand)" -> "Accordion"): both hands share its track."""
    return next((part[:-len(h)] for h in HANDS if part.endswith(h)), part)


def reference_groups(out_dir: Path, bars: int, counts: dict[str, int] | None = None) -> list[Group]:
    """The references, written by composer.evaluate.references and measured with the same code."""
    groups: dict[str, Group] = {}
    for name, path, roles in build_references(out_dir / "references", bars=bars, counts=counts):
        group = groups.setdefault(name, Group(name, "reference"))
        group.files.append(str(path))
        group.pieces.append(measure_midi(path, roles=roles))  # bars from the file: a short piece ends early
    return list(groups.values())


def not_moved(model: dict[str, Any], random: dict[str, Any]) -> bool:
    """True when the model's mean is within two standard errors (of the difference) of masked random's."""
    if model["mean"] is None or random["mean"] is None:
        return False
    spread = math.hypot(model["se"] or 0.0, random["se"] or 0.0)
    return abs(model["mean"] - random["mean"]) <= 2 * spread


def is_jazz(prompt: str) -> bool:
    return any(word in prompt.lower() for word in JAZZ_WORDS)


def prompt_set_metrics(group: Group) -> dict[str, Any]:
    """Distinct keys, 4-bar progressions and openings, default-plan bars, pieces heard in C major or A minor,
    seventh-chord bars over all pieces and over the jazz prompts' pieces, and the form measures by prompt."""
    found: dict[str, Any] = dict(set_metrics(group.pieces, DEFAULT_PLAN))
    keys = [p.key for p in group.pieces if p.key]
    found["c_major_or_a_minor"] = sum(k in ("C major", "A minor") for k in keys) / len(keys) if keys else None
    found["seventh_share"] = _mean([p.seventh_share for p in group.pieces])
    pairs = list(zip(group.prompts, group.pieces, strict=True))
    found["jazz_pieces"] = sum(is_jazz(text) for text, _ in pairs)
    found["jazz_seventh_share"] = _mean([p.seventh_share for text, p in pairs if is_jazz(text)])
    found["by_prompt"] = {
        text: {name: _mean([getattr(p, name) for t, p in pairs if t == text])
               for name in ("seventh_share", "cadence_share", "ending_full")}
        for text in dict.fromkeys(group.prompts)
    }
    return found


def reference_set_metrics(group: Group) -> dict[str, Any]:
    """The set measures that real music has too: 4-bar progressions, their distinct share, openings."""
    found = set_metrics(group.pieces)
    return {key: found[key] for key in ("pieces", "progression_windows", "distinct_progressions",
                                        "distinct_openings", "distinct_window_share")}


def run_musicality(prompts: list[dict[str, Any]], out_dir: str | Path, *, seeds: Sequence[int] = (1, 2),
                   bars: int = 16, on_progress: Callable[[int, int], None] | None = None,
                   reference_counts: dict[str, int] | None = None) -> dict[str, Any]:
    """The whole run: every condition, the references, the headline table and the per-set metrics."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    total, done = len(CONDITIONS) * len(prompts) * len(seeds) + 1, 0
    started = time.perf_counter()

    def tick() -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total)

    groups = [generate_condition(c, prompts, seeds, bars, out, tick) for c in CONDITIONS]
    groups += reference_groups(out, bars, reference_counts)
    tick()
    by_name = {g.name: g for g in groups}
    headlines = {}
    for key, label, _ in HEADLINES:
        row = {g.name: g.headline(key) for g in groups}
        headlines[key] = {"label": label, "values": row,
                          "not_moved_beyond_random": not_moved(row["composer"], row["masked random"])}
    return {
        "prompts": len(prompts), "seeds": list(seeds), "bars": bars,
        "seconds": round(time.perf_counter() - started, 1),
        "conditions": [asdict(c) for c in CONDITIONS],
        "groups": {g.name: {"kind": g.kind, "pieces": len(g.pieces), "files": g.files, "prompts": g.prompts}
                   for g in groups},
        "headlines": headlines,
        "prompt_sets": {g.name: prompt_set_metrics(g) for g in groups if g.kind == "generated"},
        "reference_sets": {g.name: reference_set_metrics(g) for g in groups if g.kind == "reference"},
        "keys": {name: [p.key for p in by_name[name].pieces] for name in by_name},
        "pieces": {g.name: [asdict(p) for p in g.pieces] for g in groups},
    }
