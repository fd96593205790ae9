"""Forms: "intro A B A outro" composed section by section, each primed by the music before it, repeats
sharing their material, a marker naming each section."""

from __future__ import annotations

import collections
import dataclasses
import re
import time
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from composer.core.errors import ComposerError
from composer.core.score import TICKS_PER_BEAT, Marker, Note, Score, TempoChange, TimeSignature, Track
from composer.core.theory import mode_family

# Section words -> their role in the form; any other single letter or word is a main section.
ROLES = {"intro": "intro", "introduction": "intro", "outro": "outro", "coda": "outro", "ending": "outro",
         "verse": "main", "chorus": "lift", "refrain": "lift", "bridge": "contrast", "break": "break",
         "breakdown": "break", "interlude": "break", "pre-chorus": "contrast", "prechorus": "contrast"}
EDGE_BARS = {"intro": 2, "outro": 2, "break": 2}  # default lengths; every other section gets MAIN_BARS
MAIN_BARS = 4
MAX_SECTIONS = 16
# How each role shapes the music: note density and loudness against the piece's, and a register shift.
SHAPES = {"intro": (0.6, -10, 0), "main": (1.0, 0, 0), "contrast": (1.1, 0, 3), "lift": (1.3, 10, 2),
          "break": (0.5, -15, 0), "outro": (0.7, -10, 0)}


@dataclass(frozen=True)
class Section:
    label: str  # as written: "A", "A'", "intro"
    role: str  # intro, main, contrast, lift, break, outro
    bars: int
    start_bar: int  # from 0

    @property
    def base(self) -> str:
        """The section this one varies ("A" for "A'"), or its own label."""
        return self.label.rstrip("'").lower()

    @property
    def name(self) -> str:
        return self.label if len(self.base) <= 1 else self.label.capitalize()


def parse_form(text: str, bars: int | None = None) -> list[Section]:
    """"intro A B A outro" (or "A:8 B:4 A") -> sections with lengths: given ones kept, the rest from
    `bars` when given (edges 1/8 each, the main sections sharing what is left), else the defaults."""
    words = [w for w in re.split(r"[\s,|>-]+", text.strip()) if w]
    if not words:
        raise ComposerError("--form is empty; write sections like 'intro A B A outro'")
    if len(words) > MAX_SECTIONS:
        raise ComposerError(f"--form has {len(words)} sections; at most {MAX_SECTIONS}")
    parsed = []
    for word in words:
        match = re.fullmatch(r"([A-Za-z][A-Za-z-]*'*)(?::(\d+))?", word)
        if not match:
            raise ComposerError(f"cannot read section {word!r}; write 'A', \"A'\", 'chorus' or 'A:8'")
        label, length = match.group(1), int(match.group(2)) if match.group(2) else None
        base = label.rstrip("'").lower()
        if len(base) > 1 and base not in ROLES:
            raise ComposerError(f"unknown section {label!r}; use letters (A, B, A') or {', '.join(sorted(ROLES))}")
        parsed.append((label, ROLES.get(base, "contrast" if base not in ("a", words[0].lower()) else "main"), length))
    lengths = _lengths(parsed, bars)
    sections, start = [], 0
    for (label, role, _), length in zip(parsed, lengths, strict=True):
        sections.append(Section(label, role, length, start))
        start += length
    return sections


def _lengths(parsed: list[tuple[str, str, int | None]], bars: int | None) -> list[int]:
    """Bars for each section; repeats of a label (A ... A) have the same length."""
    fixed: dict[str, int] = {}
    for label, _, length in parsed:
        if length is not None and fixed.setdefault(label.lower(), length) != length:
            raise ComposerError(f"section {label} is given two lengths; repeats share one")
    if bars is None:
        return [fixed.get(label.lower(), EDGE_BARS.get(role, MAIN_BARS)) for label, role, _ in parsed]
    free = [(label.lower(), role) for label, role, _ in parsed if label.lower() not in fixed]
    edges = {label: max(1, bars // 8) for label, role in free if role in EDGE_BARS}
    taken = sum(fixed.get(label.lower(), edges.get(label.lower(), 0)) for label, _, _ in parsed)
    main = [label for label, role in free if label not in edges]
    if bars - taken < len(main) or (not main and bars != taken):
        raise ComposerError(f"{bars} bars do not fit the form's {len(parsed)} sections; give more bars or fewer "
                            "sections, or lengths like 'A:8'")
    each = (bars - taken) // len(main) if main else 0
    if each >= 4:
        each -= each % 2  # phrases of an even number of bars; the rest goes to the last section
    lengths = [fixed.get(label.lower(), edges.get(label.lower(), each)) for label, _, _ in parsed]
    lengths[-1] += bars - sum(lengths)  # what does not divide evenly goes to the last section
    if lengths[-1] < 1 or any(length < 1 for length in lengths):
        raise ComposerError(f"{bars} bars do not fit the form; give more bars")
    return lengths


def section_chords(role: str, tonic: int, mode: str, bars: int, last: bool, style: str | None = None,
                   seed: str = "") -> Sequence[AbstractSet[int]]:
    """One chord a bar for a section: intros end on the dominant, contrasting sections start away from
    the tonic and end on the dominant (back into the main section), main sections and endings close
    on the tonic: with a `style`, on a plan of the harmony planner (composer.plan.harmony, drawn from
    `seed`), else on the key's default plan."""
    from composer.constraints import default_harmony

    if role in ("main", "outro") or (last and role != "intro"):
        if style is None:
            return default_harmony(tonic, mode, bars)
        import random

        from composer.plan.harmony import plan_harmony

        planned = plan_harmony(style, tonic, mode, bars, (4, 4), rng=random.Random(seed))
        return [planned.chords[i * planned.slots] for i in range(bars)]  # Chords: they know their roots
    steps = {"intro": [0, 0, 5, 7], "contrast": [9, 5, 2, 7], "lift": [5, 7, 0, 9], "break": [5, 7]}[role]
    if mode_family(mode) == "minor":
        steps = [{9: 8}.get(s, s) for s in steps]  # VI, not vi
    plan = [steps[i % len(steps)] for i in range(bars)]
    if role != "lift":
        plan[-1] = 7  # end on the dominant
    return [_triad(tonic, mode, step) for step in plan]


def dominant_seventh(tonic: int, mode: str) -> set[int]:
    """V7 of the key (major in minor too): the dominant triad and the key's fourth."""
    return _triad(tonic, mode, 7) | {(tonic + 5) % 12}


def _triad(tonic: int, mode: str, root_step: int) -> set[int]:
    """The diatonic triad on the scale note `root_step` semitones above the tonic (V major in minor)."""
    from composer.constraints import scale_pitch_classes

    scale = sorted(scale_pitch_classes(0, "aeolian" if mode == "minor" else mode))  # seven notes (minor: natural)
    if root_step == 7:
        return {(tonic + 7) % 12, (tonic + 11) % 12, (tonic + 2) % 12}
    index = scale.index(root_step) if root_step in scale else 0
    return {(tonic + scale[(index + k) % 7]) % 12 for k in (0, 2, 4)}


def compose_form(prompt: str | None, form: str, *, checkpoint: str | None = None, **options: Any) -> Any:
    """compose() with a form: each new section sampled after the music so far (its own chord plan and
    texture), each repeat a copy of its first appearance (the piece's last section but for its last bar,
    written again to close on the tonic), a variant (A') the first half of its model and a new second half.
    Markers name the sections; drums crash into each one."""
    from composer.arrange.piece import Piece
    from composer.arrange.span import embed_caption, finish_score, load_model
    from composer.plan.spec import plan_request

    sections = parse_form(form, options.get("bars"))
    total = sum(s.bars for s in sections)
    plan = plan_request(prompt, **{**options, "bars": total})
    started = time.perf_counter()
    model, tokenizer = load_model(checkpoint)
    condition = embed_caption(plan.request.caption) if plan.request.caption else None
    loaded = time.perf_counter()
    bar_ticks = plan.bar_ticks
    score = Score(tempos=[TempoChange(0, plan.tempo)], time_signatures=[TimeSignature(0, *plan.meter)])
    firsts: dict[str, Section] = {}
    tokens, attempts = 0, 0
    processors: list[Any] = []
    for index, section in enumerate(sections):
        start = section.start_bar * bar_ticks
        score.markers.append(Marker(start, section.name))
        model_section = firsts.get(section.label.lower())
        last = index == len(sections) - 1
        kept = 0
        if model_section is not None:  # a repeat; as the piece's end, its last bar is written again to close it
            kept = section.bars - 1 if last and section.bars > 1 and not plan.spec.loop else section.bars
            _copy_bars(score, model_section.start_bar * bar_ticks, start, kept * bar_ticks)
        else:
            firsts[section.label.lower()] = section
        varied = firsts.get(section.base) if section.label.endswith("'") and model_section is None else None
        if varied is not None:  # a variant: its model's first half, then new bars
            kept = min(section.bars // 2, varied.bars)
            _copy_bars(score, varied.start_bar * bar_ticks, start, kept * bar_ticks)
        if not plan.pitched or kept == section.bars:
            continue
        new_start, new_bars = start + kept * bar_ticks, section.bars - kept
        chords = plan.spec.chords or section_chords(section.role, plan.key[0], plan.key[1], new_bars, last,
                                                    plan.request["harmony"], f"{plan.prompt}|{section.label}")
        spec = _shaped(plan.spec, section.role, last)
        config = dataclasses.replace(plan.config, seed=None if plan.config.seed is None
                                     else plan.config.seed + 7919 * index)
        used_tokens, tries, used = sample_section(model, tokenizer, score, new_start, new_bars, spec, chords,
                                                  plan.controls, condition, config, plan.checked_key)
        tokens, attempts, processors = tokens + used_tokens, attempts + tries, processors + used
    sampled = time.perf_counter()
    finish_score(score, plan, tuple(s.start_bar for s in sections))
    attributes = plan.request.as_json()
    attributes["form"] = {"value": [{"section": s.name, "bars": s.bars, "role": s.role} for s in sections],
                          "source": "option"}
    attributes["bars"] = {"value": total, "source": "form"}
    return Piece(score, attributes, tokens, {"load": loaded - started, "sample": sampled - loaded,
                                             "constraints": sum(f.seconds for f in processors),
                                             "decode": time.perf_counter() - sampled}, attempts)


def _shaped(spec: Any, role: str, last: bool) -> Any:
    """The plan's constraints shaped for a section's role (texture), the closing cadence only at the end."""
    density, loudness, lift = SHAPES[role]
    return dataclasses.replace(
        spec, onsets_per_bar=spec.onsets_per_bar * density if spec.onsets_per_bar else None,
        velocity=max(1, min(127, spec.velocity + loudness)) if spec.velocity else None,
        centre_pitch=spec.centre_pitch + lift if spec.centre_pitch else None,
        off=set(spec.off) | (set() if last else {"cadence"}), loop=spec.loop and last)


def sample_section(model: Any, tokenizer: Any, score: Score, start: int, bars: int, spec: Any,
                   chords: Sequence[AbstractSet[int]], controls: list[str], condition: Any, config: Any,
                   key: tuple[int, str] | None, window_start: int = 0) -> tuple[int, int, list[Any]]:
    """Sample `bars` bars into `score` from tick `start` (a barline) under `spec` (its meter, key and
    programs) with one chord a bar, primed by the score's music in [window_start, start). Returns the
    tokens sampled, the samples drawn (key checks) and the timed filters."""
    from composer.arrange.continuation import _new_notes, _note_keys, context_before
    from composer.arrange.span import sample_checked
    from composer.constraints import Tracker
    from composer.constraints.given import ClosedContext

    bar_ticks = TICKS_PER_BEAT * 4 * spec.meter[0] // spec.meter[1]
    context = context_before(tokenizer, score, start, bar_ticks, window_start)
    context_bars = context.count(tokenizer.token_id("Bar"))
    spec = dataclasses.replace(spec, bars=context_bars + bars, chords=[set() for _ in range(context_bars)]
                               + [chords[i % len(chords)] for i in range(bars)])
    prompt_ids = tokenizer.prefix(controls) + context
    before = collections.Counter(_note_keys(tokenizer.decode(context))) if context else collections.Counter()

    def new_music(generated: list[int]) -> Score:
        return _new_notes(tokenizer.decode(context + generated), before)

    config = dataclasses.replace(config, max_tokens=bars * 512)
    closed = [ClosedContext(Tracker(tokenizer), context_bars)]  # the section starts at a new bar
    generated, new, used, tries = sample_checked(model, tokenizer, prompt_ids, condition, config, spec, key,
                                                 new_music, extra=closed)
    _place(score, new, start - context_bars * bar_ticks, start + bars * bar_ticks)
    return len(generated), tries, used


def _copy_bars(score: Score, source: int, target: int, length: int) -> None:
    """Copy every note that starts in [source, source + length) to start at `target`, cut at its end."""
    for track in score.tracks:
        copies = [Note(n.pitch, n.start - source + target, min(n.end - source, length) + target, n.velocity)
                  for n in track.notes if source <= n.start < source + length]
        track.notes.extend(copies)
        track.notes.sort(key=lambda n: (n.start, n.pitch))


def _place(score: Score, new: Score, offset: int, end: int) -> None:
    """Add `new`'s notes, moved by `offset` and cut at `end`, to the score's track of each program."""
    for track in new.tracks:
        target = next((t for t in score.tracks if t.program == track.program and t.is_drum == track.is_drum), None)
        if target is None:
            target = Track(track.name, track.program, is_drum=track.is_drum)
            score.tracks.append(target)
        for note in track.notes:
            start, stop = note.start + offset, min(note.end + offset, end)
            if start < stop:
                target.notes.append(Note(note.pitch, start, stop, note.velocity))
        target.notes.sort(key=lambda n: (n.start, n.pitch))
