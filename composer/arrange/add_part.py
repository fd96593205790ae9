"""`composer add-part`: one new part written into the user's MIDI, in its role's register and texture, over the
file's own harmony (one chord a bar, analysed from every track) and key; every existing note is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError, EmptyScoreError
from composer.core.gm import default_track_name
from composer.core.instruments import DRUMS, parse_instruments
from composer.core.roles import ROLES, register_for
from composer.core.score import Score, Track


def add_part(score: Score, instrument: str, role: str | None = None, bars: str | tuple[int, int] | None = None,
             prompt: str | None = None, **options: Any) -> Any:
    """`score` with a new track of `instrument` ("fretless bass") playing `role` (default: the ensemble
    table's choice, composer.plan.roles) over `bars` ("5-12", default all); returns a Piece. `options` are
    infill_score's (seed, temperature, top_p, guidance, checkpoint)."""
    from composer.arrange.infill import MAX_SPAN_BARS, infill_score, parse_span
    from composer.plan.roles import assign_roles

    if score.note_count == 0:
        raise EmptyScoreError("the file has no notes to add a part to")
    programs = [p for p in parse_instruments(instrument) if p != DRUMS]
    if len(programs) != 1:
        raise ComposerError(f"--instrument {instrument!r}: name one pitched instrument (drums are arranged: "
                            "use `composer generate --instruments ...,drums`)")
    program = programs[0]
    if role is not None and role not in ROLES:
        raise ComposerError(f"--role {role!r}: one of {', '.join(ROLES)}")
    starts = score.bar_starts(until_tick=max(score.length_ticks, score.end_tick))
    span = parse_span(bars) if isinstance(bars, str) else bars or (1, min(len(starts), MAX_SPAN_BARS))
    existing = sorted({t.program for t in score.tracks if not t.is_drum and t.notes} - {program})
    fixed = {program: role} if role else None
    chosen_role = assign_roles([*existing, program], None, fixed)[program][0] if len(existing) else role or "melody"
    window = register_for(program, chosen_role)
    name = _free_name(score, default_track_name(program, False))
    with_part = score.copy()
    with_part.tracks.append(Track(name, program, False, []))
    piece = infill_score(with_part, span, name, prompt, registers={program: (chosen_role, (window.low,
                         window.centre, window.high))}, **options)
    piece.attributes["added"] = {"value": {"track": name, "program": program, "role": chosen_role,
                                           "register": [window.low, window.high]},
                                 "source": "option" if role else "inferred"}
    return piece


def _free_name(score: Score, name: str) -> str:
    taken = {t.name for t in score.tracks}
    if name not in taken:
        return name
    return next(f"{name} {n}" for n in range(2, 100) if f"{name} {n}" not in taken)


def add_part_midi(path: str | Path, instrument: str, **options: Any) -> Any:
    """add_part on the MIDI file at `path` (add_part's options); returns a Piece."""
    from composer.output.midi_io import read_midi

    return add_part(read_midi(path), instrument, **options)
