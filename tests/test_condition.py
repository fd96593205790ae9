"""Reading prompts and pictures: explicit values, mood, priority and provenance, image features."""

import json

import numpy as np
import pytest
from PIL import Image

from composer.ask.image import affect_of_image, describe_image, image_features, load_image
from composer.ask.mood import affect_of_text, attributes_from_affect
from composer.ask.resolve import resolve
from composer.ask.text import parse_text
from composer.core.errors import ComposerError
from composer.core.instruments import INSTRUMENT_PROGRAMS

from .conftest import run_cli


@pytest.mark.parametrize("prompt,key", [
    ("a sad tune in G# minor", (8, "minor", "G#")), ("Eb major please", (3, "major", "Eb")),
    ("something in A minor key", (9, "minor", "A")), ("a song in F#m", (6, "minor", "F#")),
    ("in the key of D", (2, "major", "D")), ("C sharp minor ballad", (1, "minor", "C#")),
    ("E-flat major hymn", (3, "major", "Eb")), ("in a minor, slowly", (9, "minor", "A")),
    ("G# major fanfare", (8, "major", "Ab")), ("Db minor", (1, "minor", "C#")),
], ids=lambda v: str(v))
def test_keys_with_enharmonics(prompt, key):
    assert parse_text(prompt).key == key


def test_no_key_in_plain_words():
    assert parse_text("a melody for a minor character, played by a band").key is None


@pytest.mark.parametrize("prompt,low,high", [
    ("at 123 bpm", 123, 123), ("tempo 90", 90, 90), ("at 90 BPM", 90, 90), ("Largo", 40, 60),
    ("an Adagio for strings", 66, 76), ("Andante", 76, 108), ("Moderato", 108, 120), ("Allegro", 120, 156),
    ("Presto!", 168, 200),
])
def test_tempo_numbers_and_italian_words(prompt, low, high):
    assert low <= parse_text(prompt).tempo <= high


@pytest.mark.parametrize("prompt,meter", [("in 3/4", "3/4"), ("a waltz", "3/4"), ("an Irish jig", "6/8"),
                                          ("a march", "2/4"), ("12/8 blues", "12/8"), ("a slip jig", "9/8")])
def test_meters(prompt, meter):
    assert parse_text(prompt).meter == meter


def test_instrument_names_families_and_negation():
    assert len(INSTRUMENT_PROGRAMS) >= 80
    cases = {"nylon guitar": [24], "upright bass": [32], "string ensemble": [48], "square lead": [80],
             "8-bit": [80], "choir": [52], "timpani": [47], "rhodes": [4], "brass": [56, 60, 57, 58],
             "woodwinds": [73, 68, 71, 70], "rock band": [30, 33, -1], "string quartet": [40, 40, 41, 42],
             "two violins": [40, 40]}
    for words, programs in cases.items():
        assert parse_text(f"a piece for {words}").instruments == programs, words
    found = parse_text("piano and upright bass, no drums, without trumpet")
    assert found.instruments == [0, 32] and found.excluded == [-1, 56]


def test_dynamics_chords_and_length():
    assert parse_text("very soft and tender").velocity == 40
    assert parse_text("loud!").velocity == 100
    assert parse_text("over the chords Am F C G").chords == "Am F C G"
    assert parse_text("i-iv-V-i in D minor").chords == "i iv V i"
    assert parse_text("16 bars of jazz").bars == 16
    assert parse_text("30 seconds of music").seconds == 30
    assert parse_text("two minutes").seconds is None and parse_text("2 minutes").seconds == 120


@pytest.mark.parametrize("prompt,mode,fast,loud", [
    ("boss battle", "minor", True, True), ("a lullaby", "major", False, False), ("rainy night", "minor", False, False),
    ("victory!", "major", True, True), ("haunted house", "minor", None, None),
])
def test_mood_words_map_to_mode_tempo_and_dynamics(prompt, mode, fast, loud):
    mood = attributes_from_affect(affect_of_text(prompt))
    assert mood.mode == mode
    if fast is not None:
        assert (mood.tempo > 110) == fast and (mood.velocity > 85) == loud


def test_options_win_and_every_value_says_where_it_came_from():
    resolved = resolve("boss battle in E minor at 150 bpm for piano", {"tempo": 90, "key": None})
    assert resolved["tempo"] == 90 and resolved.values["tempo"].source == "option"
    assert resolved["key"] == "E minor" and resolved.values["key"].source == "text"
    assert resolved["instruments"] == [0] and resolved.values["instruments"].source == "text"
    assert resolved.values["velocity"].source == "inferred" and resolved.values["meter"].source == "default"
    assert resolve("30 seconds, 3/4, 90 bpm")["bars"] == 15  # 30 s at 90 bpm in 3/4: 15 bars


def test_explain_shows_values_and_sources():
    result = run_cli("explain", "Dark dungeon in D minor, no drums", "--tempo", "80", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["key"] == {"value": "D minor", "source": "text", "from": "D minor"}
    assert shown["tempo"]["source"] == "option" and shown["instruments"]["source"] == "inferred"
    assert -1 not in shown["instruments"]["value"]


def picture(path, rgb_top, rgb_bottom=None, noise=0.0, fmt="PNG"):
    """A 64x64 picture: two colour bands, plus noise for texture and contrast."""
    rng = np.random.default_rng(0)
    pixels = np.zeros((64, 64, 3))
    pixels[:32] = rgb_top
    pixels[32:] = rgb_bottom if rgb_bottom is not None else rgb_top
    pixels += rng.normal(0, noise, pixels.shape)
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, format=fmt)
    return path


def test_image_features_and_affect(tmp_path):
    bright = describe_image(picture(tmp_path / "bright.png", (250, 230, 150)))
    dark = describe_image(picture(tmp_path / "dark.png", (25, 25, 40)))
    assert bright.features.brightness > 0.8 > 0.2 > dark.features.brightness
    assert bright.affect.valence > dark.affect.valence
    vivid = describe_image(picture(tmp_path / "vivid.jpg", (255, 0, 0), (0, 0, 255), noise=60, fmt="JPEG"))
    grey = describe_image(picture(tmp_path / "grey.webp", (128, 128, 128), fmt="WEBP"))
    assert vivid.features.saturation > grey.features.saturation and vivid.features.contrast > grey.features.contrast
    assert vivid.features.edge_density > grey.features.edge_density
    assert vivid.affect.arousal > grey.affect.arousal
    assert attributes_from_affect(vivid.affect).tempo > attributes_from_affect(grey.affect).tempo
    assert len(vivid.features.dominant_colours) >= 2 and vivid.features.hue_histogram[0] > 0.2
    assert affect_of_image(image_features(load_image(tmp_path / "bright.png"))) == bright.affect


def test_a_file_that_is_not_an_image_is_refused(tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("this is not a picture")
    with pytest.raises(ComposerError, match="not a readable image"):
        load_image(fake)
    gif = tmp_path / "anim.gif"
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    with pytest.raises(ComposerError, match="use PNG, JPEG or WebP"):
        load_image(gif)
    result = run_cli("generate", "--image", str(fake), "-o", str(tmp_path / "x.mid"))
    assert result.returncode == 2 and "not a readable image" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.mid").exists()


def test_brighter_pictures_sound_more_major_and_higher_vivid_ones_faster_and_busier(tmp_path):
    """Judged from the generated music over three seeds, not from the resolved attributes. The instruments are
    fixed, so that the mean pitch compares one ensemble (a picture's own choice may add a bass to one)."""
    from composer.core.analysis import estimate_key
    from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT
    from composer.pipeline import compose

    if not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists():
        pytest.skip("no shipped checkpoint")
    pictures = {"bright": picture(tmp_path / "bright.png", (250, 235, 170)),
                "dark": picture(tmp_path / "dark.png", (20, 22, 40)),
                "vivid": picture(tmp_path / "vivid.png", (255, 20, 0), (0, 40, 255), noise=70),
                "grey": picture(tmp_path / "grey.png", (120, 120, 120))}
    heard = {}
    for name, path in pictures.items():
        scores = [compose(image=path, bars=4, seed=seed, instruments="strings, harp and flute").score
                  for seed in range(3)]
        notes = [(n, s) for s in scores for t in s.tracks if not t.is_drum for n in t.notes]
        heard[name] = {
            "major": sum(estimate_key(s).mode == "major" for s in scores) / 3,
            "pitch": float(np.mean([n.pitch for n, _ in notes])),
            "tempo": float(np.mean([s.tempos[0].bpm for s in scores])),
            "notes_per_second": float(np.mean([s.note_count / s.seconds_at(s.length_ticks) for s in scores])),
        }
    assert heard["bright"]["major"] > heard["dark"]["major"]
    assert heard["bright"]["pitch"] > heard["dark"]["pitch"]
    assert heard["vivid"]["tempo"] > heard["grey"]["tempo"]
    assert heard["vivid"]["notes_per_second"] > heard["grey"]["notes_per_second"]


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """A random CLIP small enough to build here, with MiniLM's tokenizer: a stand-in for a user's folder."""
    from transformers import AutoTokenizer, CLIPConfig, CLIPImageProcessor, CLIPModel

    from composer.ask.text_encoder import model_dir

    folder = tmp_path_factory.mktemp("clip")
    config = CLIPConfig(
        text_config={"vocab_size": 30522, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 64, "eos_token_id": 102},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 8},
        projection_dim=16)
    CLIPModel(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(model_dir(), local_files_only=True).save_pretrained(folder)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def test_a_local_clip_folder_tags_the_picture_with_mood_words(tmp_path, tiny_clip):
    from composer.ask.mood import AFFECT

    path = picture(tmp_path / "p.png", (200, 120, 40))
    plain = describe_image(path)
    tagged = describe_image(path, tiny_clip)
    words = tagged.affect.words[1:]
    assert len(words) == 3 and all(w in AFFECT for w in words) and words[0] in tagged.caption
    assert tagged.affect != plain.affect and describe_image(path, tiny_clip) == tagged
    with pytest.raises(ComposerError, match="not a CLIP or SigLIP model folder"):
        describe_image(path, tmp_path)
    result = run_cli("explain", "--image", str(path), "--image-encoder", str(tmp_path / "missing"))
    assert result.returncode == 2 and "no such folder" in result.stderr


def test_the_mood_head_reads_wording_the_lexicon_does_not_know():
    from composer.ask.head import load_head
    from composer.ask.mood import affect_of_text
    from composer.plan.request import describe

    if load_head() is None:
        pytest.skip("no shipped mood head")
    sad, glad = "an elegiac, sorrowful procession", "a jubilant, exuberant romp"
    assert affect_of_text(sad) is None and affect_of_text(glad) is None  # unknown to the lexicon
    sad_request, glad_request = describe(sad), describe(glad)
    assert sad_request["key"].endswith("minor") and glad_request["key"].endswith("major")
    assert glad_request["tempo"] > sad_request["tempo"]
    assert sad_request.values["tempo"].source == "inferred" and "text model" in sad_request.values["tempo"].detail


def test_eval_control_judges_the_written_files(tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"id": "a", "kind": "explicit", "prompt": "Waltz for flute in D major, 120 bpm",
                                   "key": "D major", "meter": "3/4", "tempo_range": [118, 122],
                                   "instruments": ["flute"]}) + "\n"
                       + json.dumps({"id": "b", "kind": "explicit", "prompt": "March in F major", "key": "G major",
                                     "meter": "2/4"}) + "\n")
    result = run_cli("eval", "control", "--prompts", str(prompts), "--seeds", "1", "--out", str(tmp_path / "out"),
                     "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rates"]["explicit"]["meter"] == 100.0 and report["rates"]["explicit"]["tempo_in_range"] == 100.0
    assert report["rates"]["explicit"]["key"] == 50.0  # prompt b expects a key it does not ask for: judged, failed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a-0.mid", "b-0.mid"]
    bad = run_cli("eval", "control", "--prompts", str(tmp_path / "missing.jsonl"))
    assert bad.returncode == 2 and "no such prompt file" in bad.stderr


@pytest.mark.parametrize("prompt,low,high", [
    ("a fast folk tune for fiddle", 140, 168), ("a slow folk tune for fiddle", 60, 76),
    ("a brisk march", 120, 138), ("a leisurely stroll", 72, 84), ("very slow and sad", 50, 60),
    ("a laid-back groove", 76, 92),
])
def test_everyday_pace_words_set_the_tempo_over_the_genres(prompt: str, low: int, high: int) -> None:
    assert parse_text(prompt).tempo_range == (low, high)
    request = resolve(prompt)
    assert low <= request["tempo"] <= high and request.values["tempo"].source == "text"


def test_a_negated_or_embedded_pace_word_sets_no_tempo() -> None:
    assert parse_text("not too fast, a calm tune").tempo is None
    assert parse_text("breakfast music").tempo is None  # a word, not a part of one
    assert parse_text("a slow intro, 132 bpm").tempo == 132  # a number wins
