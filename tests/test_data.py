"""The corpus pipeline: abc conversion with reported skips, attributes on known pieces, leak-free splits."""

import random
from pathlib import Path

import pytest

from composer.core.analysis import estimate_key
from composer.core.gm import playable_range
from composer.core.score import Note
from composer.train.data.attributes import extract_attributes, style_of
from composer.train.data.augment import fit_to_range, orchestrate, random_orchestration, shape_velocities
from composer.train.data.convert import ConvertResult, convert_abc
from composer.train.data.sources import SourceFile, abc_headers, split_abc_tunes
from composer.train.data.splits import melody_fingerprint, split_of

from .conftest import corpus_score

TWO_TUNES = """%abc
X:1
T:A Test Jig
R:jig
M:6/8
L:1/8
K:D
|:DFA dfa|bag fed|DFA dfa|gfe d3:|

X:2
T:Empty
M:4/4
K:C
"""


def test_abc_tunes_convert_and_empty_ones_are_reported(tmp_path):
    path = tmp_path / "tunes.abc"
    path.write_text(TWO_TUNES)
    result = ConvertResult(str(path), "test")
    convert_abc(SourceFile(path, "test", "abc"), result)
    assert [p.piece_id for p in result.pieces] == ["test/tunes#1"]
    assert result.pieces[0].rhythm == "jig" and result.pieces[0].title == "A Test Jig"
    assert result.skipped == [("test/tunes#2", "no notes")]
    score = result.pieces[0].score()
    assert score.note_count == 44  # 22 notes, the repeat played twice
    assert str(score.time_signatures[0]) == "6/8"


def test_abc_helpers():
    tunes = split_abc_tunes(TWO_TUNES)
    assert [number for _, number in tunes] == ["1", "2"]
    assert abc_headers(tunes[0][0])["R"] == "jig"


def test_bach_chorale_attributes():
    attributes = extract_attributes(corpus_score("bach/bwv66.6"), "bach")
    assert attributes.key == "F# minor"
    assert attributes.meter == "4/4"
    assert attributes.style == "chorale"
    assert attributes.bins["polyphony"] == "full"
    assert 9 <= attributes.bars <= 11


def test_folk_tune_attributes_and_style():
    attributes = extract_attributes(corpus_score("essenFolksong/altdeu10", 1), "essenFolksong")
    assert attributes.bins["polyphony"] == "mono"
    assert attributes.style == "folksong"
    assert style_of("oneills1850", "Double Jig") == "jig" and style_of("ryansMammoth", "reel") == "reel"


@pytest.mark.parametrize("piece", [("bach/bwv66.6", None), ("joplin/maple_leaf_rag", None),
                                   ("essenFolksong/han1", 3), ("monteverdi/madrigal.3.1", None)])
def test_key_estimate_agrees_with_music21_on_the_same_midi(piece):
    from music21 import converter

    from composer.output.midi_io import midi_bytes

    score = corpus_score(*piece)
    analysed = converter.parse(midi_bytes(score), format="midi").analyze("key")
    ours = estimate_key(score)
    assert (ours.tonic_pc, ours.mode) == (analysed.tonic.pitchClass, analysed.mode)


def test_transposed_copies_share_fingerprint_and_split():
    score = corpus_score("essenFolksong/altdeu10", 1)
    moved = score.copy()
    for track in moved.tracks:
        track.notes = [Note(n.pitch + 5, n.start, n.end, n.velocity) for n in track.notes]
    assert melody_fingerprint(moved) == melody_fingerprint(score)
    assert split_of(melody_fingerprint(moved)) == split_of(melody_fingerprint(score))


def test_splits_are_roughly_90_5_5():
    counts = {"train": 0, "valid": 0, "test": 0}
    for i in range(4000):
        counts[split_of(f"{random.Random(i).getrandbits(64):016x}")] += 1
    assert 3450 < counts["train"] < 3750 and 120 < counts["test"] < 280


def test_orchestration_keeps_every_voice_in_range():
    chorale = corpus_score("bach/bwv66.6")
    quartet = orchestrate(chorale, [("Vn", 40), ("Vn2", 40), ("Va", 41), ("Vc", 42)])
    assert quartet is not None
    for track in quartet.tracks:
        low, high = playable_range(track.program)
        assert all(low <= n.pitch <= high for n in track.notes)
    rng = random.Random(1)
    for _ in range(5):
        version = random_orchestration(chorale, rng)
        assert version is not None
        for track in version.tracks:
            low, high = playable_range(track.program)
            assert all(low <= n.pitch <= high for n in track.notes)


def test_a_voice_that_cannot_fit_is_refused():
    assert fit_to_range([Note(30, 0, 10), Note(100, 10, 20)], 73) is None


def test_velocity_shaping_sets_the_level():
    score = corpus_score("essenFolksong/altdeu10", 1)
    soft = shape_velocities(score, random.Random(0), level="pp")
    loud = shape_velocities(score, random.Random(0), level="ff")
    mean = lambda s: sum(n.velocity for t in s.tracks for n in t.notes) / s.note_count  # noqa: E731
    assert mean(soft) < 60 < 95 < mean(loud)


def test_corpus_sources_cover_the_collections():
    from composer.train.data.sources import corpus_sources

    sources, skipped = corpus_sources()
    collections = {s.collection for s in sources}
    assert {"bach", "palestrina", "essenFolksong", "oneills1850", "ryansMammoth", "monteverdi"} <= collections
    assert all(reason for _, reason in skipped)
    assert all(Path(s.path).exists() for s in sources[:50])


def test_build_with_a_users_midi_folder_counts_and_caches(tmp_path):
    from composer.output.midi_io import write_midi
    from composer.train.data.build import build_corpus, load_pieces

    from .conftest import small_band_score

    folder = tmp_path / "mine"
    folder.mkdir()
    write_midi(small_band_score(), folder / "song.mid")
    (folder / "broken.mid").write_bytes(b"MThd\x00\x00")
    out = tmp_path / "data"
    report = build_corpus(out, midi_dir=folder, jobs=1, limit_per_collection=0)
    assert report.pieces["user"] == 1 and report.skipped["user"] == 1
    assert any("broken.mid" in path and "truncated" in reason for path, reason in report.skipped_list)
    [piece] = load_pieces(out)
    assert piece["attributes"]["key"] == "Eb major" and piece["attributes"]["meter"] == "3/4"
    again = build_corpus(out, midi_dir=folder, jobs=1, limit_per_collection=0)
    assert again.cached_files == 2


def test_inner_voices_can_become_one_chordal_part():
    from composer.decode.parts import score_roles
    from composer.train.data.augment import merge_inner_voices

    chorale = corpus_score("bach/bwv66.6")
    merged = merge_inner_voices(chorale, random.Random(3))
    assert merged is not None and len([t for t in merged.tracks if t.notes]) == 3
    roles = score_roles(merged)
    assert sorted(roles.values()) == ["bass", "comp", "melody"]  # the alto and tenor, together, comp
    inner = next(t for t in merged.tracks if roles[t.program] == "comp")
    assert len(inner.notes) == sum(len(t.notes) for t in sorted(chorale.tracks, key=lambda t: -sum(
        n.pitch for n in t.notes) / len(t.notes))[1:-1])  # every inner note kept


def test_reductions_give_duets_and_accompanied_melodies():
    from composer.decode.parts import score_roles
    from composer.train.data.augment import merge_inner_voices

    chorale = corpus_score("bach/bwv66.6")
    outer = merge_inner_voices(chorale, random.Random(1), "outer")
    accompanied = merge_inner_voices(chorale, random.Random(1), "accompanied")
    assert outer is not None and sorted(score_roles(outer).values()) == ["bass", "melody"]
    assert accompanied is not None and sorted(score_roles(accompanied).values()) == ["comp", "melody"]


def test_a_hands_reduction_gives_one_player_chords_and_its_own_bass():
    from composer.decode.parts import score_roles
    from composer.train.data.augment import HAND_INSTRUMENTS, merge_inner_voices
    from composer.train.data.shards import separate_voices

    chorale = corpus_score("bach/bwv66.6")
    for seed in range(4):
        hands = merge_inner_voices(chorale, random.Random(seed), "hands")
        assert hands is not None and len(hands.tracks) == 3
        _, chords, bass = hands.tracks
        assert chords.program == bass.program and chords.program in {p for _, p in HAND_INSTRUMENTS}
        apart = separate_voices(hands)  # as the shards keep them: the bass on a stand-in program
        assert len({t.program for t in apart.tracks}) == 3
        roles = score_roles(apart)
        assert roles[apart.tracks[2].program] == "bass" and roles[apart.tracks[1].program] in ("comp", "pad",
                                                                                                "melody")
