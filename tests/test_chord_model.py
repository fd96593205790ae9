"""The chord model: Kneser-Ney counts on a toy corpus, the shipped model's sampling, the style fallback, and the
`composer data chords` command's refusals."""

import itertools
import json
import math
import random

import pytest

from composer.core.errors import ComposerError
from composer.core.harmony import parse_numeral
from composer.faces.cli import main
from composer.plan.chord_model import DEFAULT_PATH, END, VOCABULARY, ChordModel
from composer.train.chords import FOLK_TRIADS, is_held_out, quality_of

# after I-IV comes V, after V-IV comes I: a bigram cannot tell the two IVs apart, a trigram can
TOY = [("toy", "major", ["I", "IV", "V", "I"])] * 10 + [("toy", "major", ["I", "V", "IV", "I"])] * 10
TOY_HELD_OUT = [["I", "IV", "V", "I"], ["I", "V", "IV", "I"]]


@pytest.fixture(scope="module")
def shipped() -> ChordModel:
    return ChordModel.load()


def test_the_trigram_beats_the_bigram_and_the_unigram_on_a_toy_corpus() -> None:
    trigram = ChordModel.from_sequences(TOY)
    perplexities = [m.perplexity(TOY_HELD_OUT, "toy", "major") for m in (trigram, trigram.truncated(2),
                                                                          trigram.truncated(1))]
    assert perplexities == sorted(perplexities)
    assert perplexities[0] < 0.8 * perplexities[1] < 0.8 * perplexities[2]
    assert trigram.probability("V", ["I", "IV"], "toy", "major") > 0.9


def test_the_distribution_sums_to_one_and_covers_the_vocabulary() -> None:
    model = ChordModel.from_sequences(TOY)
    for history in ([], ["I"], ["I", "IV"], ["bII", "#IV"]):
        probabilities = model.next_probabilities(history, "toy", "major")
        assert set(probabilities) == {*VOCABULARY, END}
        assert math.isclose(sum(probabilities.values()), 1.0, rel_tol=1e-9)
        assert min(probabilities.values()) > 0


def test_a_style_the_model_lacks_reads_the_mode_pooled_over_styles() -> None:
    model = ChordModel.from_sequences([("a", "major", ["I", "IV", "I"])] * 5 + [("b", "major", ["I", "V", "I"])] * 5)
    after_tonic = {style: model.probability("IV", ["I"], style, "major") for style in ("a", "b", "unknown")}
    assert after_tonic["a"] > after_tonic["unknown"] > after_tonic["b"]
    assert math.isclose(after_tonic["unknown"], model.probability("V", ["I"], "unknown", "major"))
    assert model.next_probabilities(["I"], "unknown", "major") == model.next_probabilities(["I"], "other", "major")


def test_the_shipped_model_loads_once_and_knows_the_three_styles(shipped: ChordModel) -> None:
    assert ChordModel.load() is shipped
    assert set(shipped.styles) == {"chorale", "folk", "renaissance"}
    assert DEFAULT_PATH.stat().st_size < 2_000_000


@pytest.mark.parametrize("style", ["chorale", "renaissance", "folk", "no-such-style"])
@pytest.mark.parametrize("mode", ["major", "minor"])
def test_sample_begins_on_the_tonic_and_ends_where_asked(shipped: ChordModel, style: str, mode: str) -> None:
    tonic = "I" if mode == "major" else "i"
    for length, end in ((8, "V"), (5, tonic), (3, "IV"), (2, "V"), (6, None)):
        chords = shipped.sample(style, mode, length, random.Random(length), end=end)
        assert len(chords) == length and chords[0] == tonic
        assert end is None or chords[-1] == end
        assert all(parse_numeral(c) for c in chords)
        assert all(a != b for a, b in itertools.pairwise(chords)), chords  # chord changes


def test_sample_is_reproducible_and_honours_start(shipped: ChordModel) -> None:
    first = shipped.sample("chorale", "minor", 12, random.Random(7), start="bVI", end="i")
    assert first == shipped.sample("chorale", "minor", 12, random.Random(7), start="bVI", end="i")
    assert first[0] == "bVI" and first[-1] == "i"
    seeds = {tuple(shipped.sample("folk", "major", 8, random.Random(seed))) for seed in range(8)}
    assert len(seeds) > 1


def test_sample_refuses_what_cannot_be(shipped: ChordModel) -> None:
    with pytest.raises(ComposerError, match="mode"):
        shipped.sample("folk", "dorian", 4, random.Random(1))
    with pytest.raises(ComposerError, match="Roman numeral"):
        shipped.sample("folk", "major", 4, random.Random(1), end="H7")
    with pytest.raises(ComposerError, match="both"):
        shipped.sample("folk", "major", 1, random.Random(1), start="I", end="V")
    assert shipped.sample("folk", "major", 1, random.Random(1), end="V") == ["V"]


def test_vary_keeps_the_ends_and_the_length(shipped: ChordModel) -> None:
    library = ["I", "vi", "IV", "V", "I"]
    varied = shipped.vary(library, "chorale", "major", random.Random(3), changes=2)
    assert len(varied) == 5 and varied[0] == "I" and varied[-1] == "I"
    assert sum(a != b for a, b in zip(library, varied, strict=True)) == 2


def test_the_shipped_json_has_no_nan_and_round_trips(shipped: ChordModel) -> None:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the chord model")

    record = json.loads(DEFAULT_PATH.read_text(), parse_constant=refuse)
    assert record["format_version"] == 1 and record["sources"]
    assert all(parse_numeral(token) for token in record["vocabulary"] if token != END)
    again = ChordModel.from_json(record)
    assert again.next_probabilities(["I", "IV"], "folk", "major") == shipped.next_probabilities(["I", "IV"], "folk",
                                                                                               "major")
    for style in shipped.styles:
        assert shipped.perplexity([["I", "IV", "V", "I"]], style, "major") < 40


def test_chord_qualities_are_read_from_pitch_classes() -> None:
    assert quality_of({7, 11, 2, 5}) == (7, "dom7")
    assert quality_of({9, 0, 4, 7}, bass=0) == (9, "min7")  # C E G A: Am7 over C, not C6
    assert quality_of({11, 2, 5, 8}, bass=11) == (11, "dim7")
    assert quality_of({0, 4}) is None
    assert quality_of({0, 1, 2}) is None
    assert FOLK_TRIADS["major"][0] == (0, "maj")


def test_the_split_is_stable_and_holds_out_about_a_fifth() -> None:
    names = [f"essenFolksong/x#{n}" for n in range(2000)]
    held = sum(map(is_held_out, names))
    assert 300 < held < 500
    assert [is_held_out(n) for n in names[:50]] == [is_held_out(n) for n in names[:50]]


def test_data_chords_never_replaces_a_file_it_was_not_given(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chords.json").write_text("mine")
    assert main(["data", "chords"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "chords.json").read_text() == "mine"
    assert main(["data", "chords", "--out", "model.txt"]) == 2
    assert main(["data", "chords", "--out", str(tmp_path / "missing" / "m.json")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chords.json"]
