"""Instruments the checkpoint does not know are decoded as ones it does: the probe's record, the decode
programs of voices, and the file's real programs."""

import json

from composer.core.voices import decode_program, voices_for
from composer.decode.checkpoint import checkpoint_dir
from composer.decode.known import MIN_NOTES, known_programs


def test_the_shipped_checkpoint_records_what_it_knows() -> None:
    config = json.loads((checkpoint_dir() / "config.json").read_text())
    known = known_programs()
    assert known is not None and known == frozenset(config["known_programs"])
    notes = {int(p): n for p, n in config["training_notes_by_program"].items()}
    assert known == {p for p, n in notes.items() if n >= MIN_NOTES}
    assert {0, 24, 33, 40, 41, 42, 73, 110} <= known  # the viola and the fiddle (a second violin) too
    assert 35 not in known and 36 not in known  # fretless and slap bass: no training version plays them


def test_an_unknown_instrument_is_decoded_as_a_known_one_like_it() -> None:
    known = frozenset({0, 4, 24, 33, 38, 40, 42, 48, 73, 110})
    assert decode_program(35, known, {35}) == 33  # fretless bass -> electric bass
    assert decode_program(35, known, {35, 33}) == 38  # the electric bass taken: the synth bass
    assert decode_program(27, known, {27}) == 24  # a clean electric guitar -> the guitar
    assert decode_program(42, known, {42}) == 42  # known: itself
    assert decode_program(35, None, {35}) == 35  # no record: every program as itself
    voices = voices_for([40, 40, 41, 42], known=known)
    assert [v.program for v in voices] == [40, 40, 41, 42]  # the file keeps the real instruments
    decoded = [v.decode for v in voices]
    assert decoded[0] == 40 and decoded[3] == 42 and len(set(decoded)) == 4 and set(decoded) <= known


def test_a_fretless_bass_part_is_written_as_fretless_bass_and_plays(monkeypatch) -> None:
    import composer
    import composer.decode.known as known

    def bars_played() -> int:
        total = 0
        for seed in (1, 2, 3):
            piece = composer.compose("late night lo-fi, rhodes and fretless bass", bars=8, seed=seed,
                                     constraints_off=["soft"])
            bass = next(t for t in piece.score.tracks if t.program == 35)
            assert bass.name == "Fretless Bass"
            total += len({n.start // (piece.score.length // 8) for n in bass.notes})
        return total

    played_as_known = bars_played()  # the model alone, the fretless bass decoded as an electric bass
    monkeypatch.setattr(known, "known_programs", lambda name=None: None)
    as_itself = bars_played()  # decoded as itself: only the bars the masks force (the entry, the ending)
    assert played_as_known >= as_itself + 5  # 14 against 8 bars of 24 with the shipped checkpoint
    monkeypatch.undo()
    detail = composer.describe("late night lo-fi, rhodes and fretless bass").values["roles"].detail
    assert "Fretless Bass as Electric Bass" in detail  # explain says what the model plays it as


def test_a_users_fretless_bass_is_continued_infilled_and_written_back_as_itself() -> None:
    from composer.arrange.continuation import continue_score
    from composer.arrange.infill import infill_score
    from composer.arrange.span import decoded_copy

    from .conftest import corpus_score

    score = corpus_score("bach/bwv66.6")
    for track, program in zip(score.tracks, (73, 71, 0, 35), strict=True):
        track.program = program  # flute, clarinet, piano and a fretless bass the model never saw
    copy, back = decoded_copy(score, None)
    assert back == {33: 35} and [t.program for t in copy.tracks] == [73, 71, 0, 33]
    assert [t.program for t in score.tracks] == [73, 71, 0, 35]  # the user's score is not touched
    continued = continue_score(score, 2, seed=1).score
    infilled = infill_score(score, (2, 3), "Bass", seed=1).score
    for out in (continued, infilled):
        assert [t.program for t in out.tracks] == [73, 71, 0, 35]
    assert len(continued.tracks[3].notes) > len(score.tracks[3].notes)  # new bars for the bass
    bar = score.bar_starts()[1]
    assert sum(bar <= n.start < 3 * bar for n in infilled.tracks[3].notes) >= 2  # the span's bass is written
