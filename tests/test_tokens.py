"""REMI tokens: corpus pieces of every kind survive score -> tokens -> score to the grid; settings are JSON."""

import json
from collections import defaultdict

import pytest

from composer.core.score import TICKS_PER_BEAT, Score
from composer.decode.tokens import MusicTokenizer, TokenizerSettings

from .conftest import corpus_score

PIECES = {
    "chorale": ("bach/bwv66.6", None),
    "folk-reel": ("oneills1850/0001-0050", 1),
    "folk-song": ("essenFolksong/altdeu10", 1),
    "polyphony-madrigal": ("monteverdi/madrigal.3.1", None),
    "piano-rag": ("joplin/maple_leaf_rag", None),
}


@pytest.fixture(scope="module")
def tokenizer() -> MusicTokenizer:
    return MusicTokenizer()


def grid_ticks(score: Score, tick: int, settings: TokenizerSettings) -> int:
    """The onset grid in force at `tick`: a beat (the meter's denominator note) / beat_resolution."""
    meter = [ts for ts in score.time_signatures if ts.tick <= tick][-1]
    return TICKS_PER_BEAT * 4 // meter.denominator // settings.beat_resolution


def notes_by_voice(score: Score) -> dict[tuple[int, int], list]:
    voices = defaultdict(list)
    for track in score.tracks:
        for note in track.notes:
            voices[(-1 if track.is_drum else track.program, note.pitch)].append(note)
    return {key: sorted(notes, key=lambda n: (n.start, n.end)) for key, notes in voices.items()}


@pytest.mark.parametrize("piece", list(PIECES.values()), ids=list(PIECES))
def test_round_trip_keeps_pitch_program_onset_and_duration_to_the_grid(tokenizer, piece):
    original = corpus_score(*piece)
    decoded = tokenizer.decode(tokenizer.encode(original))
    settings = tokenizer.settings
    want, got = notes_by_voice(original), notes_by_voice(decoded)
    assert set(got) == set(want), "pitches or programs changed"
    for key in want:
        assert len(got[key]) == len(want[key]), f"note count changed for program/pitch {key}"
        for before, after in zip(want[key], got[key], strict=True):
            grid = grid_ticks(original, before.start, settings)
            assert abs(after.start - before.start) <= grid / 2, f"onset moved off the grid: {before} -> {after}"
            beat = grid * settings.beat_resolution
            duration_grid = grid if before.duration < 4 * beat else beat // settings.long_note_resolution
            expected = min(before.duration, settings.max_note_beats * beat)
            assert abs(after.duration - expected) <= max(duration_grid / 2, grid), \
                f"duration changed beyond the grid: {before} -> {after}"


def test_round_trip_keeps_meter_and_tempo(tokenizer):
    original = corpus_score(*PIECES["chorale"])
    decoded = tokenizer.decode(tokenizer.encode(original))
    assert [str(ts) for ts in decoded.time_signatures] == ["4/4"]
    assert decoded.tempos[0].bpm == pytest.approx(original.tempos[0].bpm, rel=0.05)


def test_settings_save_as_json_and_rebuild_the_same_vocabulary(tmp_path):
    settings = TokenizerSettings(control_tokens=("Key_C-major", "Key_A-minor"))
    tokenizer = MusicTokenizer(settings)
    path = tokenizer.save(tmp_path / "tokenizer.json")
    data = json.loads(path.read_text())
    assert data["tokenization"] == "REMI" and data["vocab_size"] == len(tokenizer)
    assert "miditok_version" in data and "composer_version" in data
    loaded = MusicTokenizer.load(path)
    assert loaded.tokens == tokenizer.tokens
    assert loaded.token_id("Key_A-minor") == len(tokenizer) - 1


def test_control_tokens_come_after_the_music_vocabulary_and_are_skipped_on_decode(tokenizer):
    with_controls = MusicTokenizer(TokenizerSettings(control_tokens=("Style_chorale",)))
    assert with_controls.base_size == len(tokenizer)
    control = with_controls.token_id("Style_chorale")
    ids = tokenizer.encode(corpus_score(*PIECES["folk-song"]))
    plain = with_controls.decode(ids)
    prefixed = with_controls.decode([with_controls.bos_id, control, *ids, with_controls.eos_id])
    assert plain.tracks == prefixed.tracks


def test_layout_covers_every_id_once(tokenizer):
    layout = tokenizer.layout()
    covered = [i for _, first, last in layout for i in range(first, last + 1)]
    assert covered == list(range(len(tokenizer)))
    kinds = {kind for kind, _, _ in layout}
    assert {"Bar", "Position", "Pitch", "PitchDrum", "Velocity", "Duration", "Program", "Tempo", "TimeSig"} <= kinds


def test_bad_control_token_is_refused():
    with pytest.raises(ValueError, match="Type_Value"):
        MusicTokenizer(TokenizerSettings(control_tokens=("nounderscore",)))
