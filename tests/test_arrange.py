"""Forms (sections, repeats, markers) and seamless loops, judged from the written MIDI."""

import pytest

from composer.arrange.forms import parse_form, section_chords
from composer.core.errors import ComposerError
from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT

shipped = pytest.mark.skipif(not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists(),
                             reason="no shipped checkpoint yet")


def test_forms_are_read_with_lengths_that_repeats_share():
    default = parse_form("intro A B A outro")
    assert [(s.name, s.role, s.bars, s.start_bar) for s in default] == [
        ("Intro", "intro", 2, 0), ("A", "main", 4, 2), ("B", "contrast", 4, 6), ("A", "main", 4, 10),
        ("Outro", "outro", 2, 14)]
    fitted = parse_form("intro A B A outro", bars=20)
    assert sum(s.bars for s in fitted) == 20 and fitted[1].bars == fitted[3].bars
    assert [s.bars for s in parse_form("A:8 B:4 A")] == [8, 4, 8]
    assert [s.role for s in parse_form("verse chorus verse chorus bridge chorus")] == [
        "main", "lift", "main", "lift", "contrast", "lift"]
    assert parse_form("A A'")[1].base == "a"
    for bad, message in (("", "empty"), ("A:8 B A:4", "two lengths"), ("intro solo", "unknown section"),
                         ("A " * 17, "at most"), ("1 2", "cannot read")):
        with pytest.raises(ComposerError, match=message):
            parse_form(bad)
    with pytest.raises(ComposerError, match="do not fit"):
        parse_form("intro A B C D outro", bars=4)


def test_sections_lead_where_they_should():
    g_major = 7
    dominant = {2, 6, 9}  # D major triad
    for role in ("intro", "contrast"):
        assert section_chords(role, g_major, "major", 4, last=False)[-1] == dominant
    assert section_chords("main", g_major, "major", 4, last=False)[-1] == {7, 11, 2}  # home on G
    assert section_chords("contrast", g_major, "major", 4, last=False)[0] == {4, 7, 11}  # starts on vi


@shipped
def test_a_form_writes_markers_and_repeats_its_material(tmp_path):
    from composer import compose
    from composer.output.midi_io import read_midi

    piece = compose("a folk song for flute and guitar with drums", key="D major", form="intro A B A outro",
                    seed=4, tempo=110)
    score = read_midi(piece.save_midi(tmp_path / "form.mid"))
    bar = 1920
    assert [(m.text, m.tick // bar) for m in score.markers] == [("Intro", 0), ("A", 2), ("B", 6), ("A", 10),
                                                                ("Outro", 14)]
    assert score.length_ticks == 16 * bar

    def notes(start_bar: int, bars: int) -> list[tuple[str, int, int, int]]:
        return sorted((t.name, n.pitch, n.start - start_bar * bar, n.end - start_bar * bar)
                      for t in score.tracks if not t.is_drum for n in t.notes
                      if start_bar * bar <= n.start < (start_bar + bars) * bar)

    assert notes(2, 4) and notes(2, 4) == notes(10, 4)  # the second A is the first
    for track in score.tracks:  # no pitch struck again while it still sounds (players would merge them)
        ends: dict[int, int] = {}
        for note in sorted(track.notes, key=lambda n: n.start):
            assert note.start >= ends.get(note.pitch, 0), (track.name, note)
            ends[note.pitch] = note.end
    assert notes(6, 4) != notes(2, 4)  # B is new music
    drums = next(t for t in score.tracks if t.is_drum)
    assert sorted({n.start // bar for n in drums.notes if n.pitch == 49}) == [0, 2, 6, 10, 14]  # a crash each
    last_bar = [n for t in score.tracks if not t.is_drum for n in t.notes if n.start >= 15 * bar]
    first = min(n.start for n in last_bar)  # the ending opens on the tonic, in the bass
    assert last_bar and min(n.pitch for n in last_bar if n.start == first) % 12 == 2


@shipped
def test_a_form_that_ends_on_a_repeat_writes_its_last_bar_again_to_close(tmp_path):
    from composer import compose
    from composer.output.midi_io import read_midi

    piece = compose("a heroic orchestral theme for strings and brass", key="Eb major", form="A B A", bars=12,
                    seed=3)
    score = read_midi(piece.save_midi(tmp_path / "aba.mid"))
    bar = 1920

    def notes(start_bar: int, bars: int) -> list[tuple[str, int, int]]:
        return sorted((t.name, n.pitch, n.start - start_bar * bar) for t in score.tracks if not t.is_drum
                      for n in t.notes if start_bar * bar <= n.start < (start_bar + bars) * bar)

    assert notes(0, 3) == notes(8, 3)  # the return is the first A ...
    final = [n for t in score.tracks if not t.is_drum for n in t.notes if n.start >= 11 * bar]
    first = min(n.start for n in final)  # ... but for its last bar: the tonic chord, the tonic in the bass
    assert min(n.pitch for n in final if n.start == first) % 12 == 3
    assert {n.pitch % 12 for n in final if n.start == first} <= {3, 7, 10}


def test_continued_music_starts_at_a_new_bar() -> None:
    """B, written after A's four bars, used to go on writing A's closing chord (a pad's F on the tonic)."""
    import torch

    from composer.constraints import Tracker
    from composer.constraints.given import ClosedContext

    from .test_constraints import ids_of, small_tokenizer

    tok = small_tokenizer()
    context = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_60", "Velocity_63", "Duration_1.0.4"]
    closed = ClosedContext(Tracker(tok), context_bars=1)
    forced = closed.structure(torch.tensor(ids_of(tok, "BOS", *context)))
    assert forced is not None and [tok.tokens[i] for i in torch.nonzero(forced).flatten()] == ["Bar_None"]
    assert closed.structure(torch.tensor(ids_of(tok, "BOS", *context, "Bar", "TimeSig_4/4"))) is None
    assert ClosedContext(Tracker(tok), 0).structure(torch.tensor(ids_of(tok, "BOS", *context))) is None


@shipped
def test_loops_end_on_the_dominant_and_step_back_to_their_first_notes(tmp_path):
    from composer import compose
    from composer.output.midi_io import read_midi

    dominant_seventh = {7, 11, 2, 5}  # G B D F: what leads back to C
    home = leading = 0
    for seed in range(3):
        piece = compose("a calm flute melody", key="C major", bars=4, loop=True, seed=seed)
        score = read_midi(piece.save_midi(tmp_path / f"loop{seed}.mid"))
        bar = 1920
        assert [(m.text, m.tick) for m in score.markers] == [("loopStart", 0), ("loopEnd", 4 * bar)]
        assert all(n.end <= 4 * bar for t in score.tracks for n in t.notes)
        flute = sorted(next(t for t in score.tracks if t.program == 73).notes, key=lambda n: n.start)
        home += abs(flute[-1].pitch - flute[0].pitch) <= 2
        leading += flute[-1].pitch % 12 in dominant_seventh
    assert home >= 2, "the last notes should step back to the first"
    assert leading >= 2, "a loop's last note should lead back to the tonic"
    closed = compose("a calm flute melody", key="C major", bars=4, seed=0).score
    last = max((n for t in closed.tracks for n in t.notes), key=lambda n: n.start)
    assert last.pitch % 12 in {0, 4, 7}  # without --loop the piece closes on the tonic chord instead
