"""A prompt that lists its instruments gets those and no others: no genre-implied kit, no scene band."""

from __future__ import annotations

import itertools

import pytest

from composer.ask.resolve import resolve
from composer.ask.text import parse_text
from composer.core.instruments import DRUMS

GENRES = ("rock", "jazz", "funk", "techno", "metal", "hip hop", "disco", "punk", "lo-fi", "drum and bass")
BANDS = ("sax, piano and upright bass", "piano and electric bass", "two guitars and a cello")
PROMPTS = [f"a {genre} piece for {band}" for genre, band in itertools.product(GENRES, BANDS)]  # 30 prompts


@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_listed_band_gets_no_part_it_did_not_ask_for(prompt):
    listed = parse_text(prompt).instruments
    assert listed, prompt
    got = resolve(prompt)["instruments"]
    assert DRUMS not in got and sorted(set(got)) == sorted(set(listed)), (prompt, got, listed)


def test_drums_come_when_asked_for_or_when_nothing_is_listed():
    assert DRUMS in resolve("a rock piece for guitar, bass and drums")["instruments"]
    assert DRUMS in resolve("a funk groove")["instruments"]
    assert DRUMS not in resolve("a jazz ballad for sax, piano and upright bass")["instruments"]


def test_a_genre_sets_the_tempo_and_loudness_nothing_else_gave():
    punk = resolve("punk rock with distorted guitar, bass and drums")
    assert punk["tempo"] >= 150 and punk["velocity"] >= 95 and punk.values["tempo"].source == "inferred"
    assert resolve("a ballad for piano and cello")["tempo"] <= 80
    assert resolve("punk rock at 90 bpm")["tempo"] == 90  # the words win
    assert resolve("punk rock", {"tempo": 120})["tempo"] == 120  # an option wins
    calm = resolve("a calm punk song")  # a mood word wins over the genre's habit
    assert calm.values["tempo"].detail != "punk: the genre's usual tempo"


@pytest.mark.parametrize(("prompt", "programs"), [
    ("indie rock with electric guitar, bass guitar and drums", [27, 33, DRUMS]),  # not a bass and a nylon guitar
    ("a ballad for acoustic bass guitar and piano", [32, 0]),
    ("lead guitar over an organ", [29, 19]),
])
def test_a_two_word_instrument_is_one_part(prompt, programs):
    assert sorted(parse_text(prompt).instruments) == sorted(programs)


@pytest.mark.parametrize("prompt", [
    "a quiet evening inside the house", "a haunted house at midnight", "waves crash on a rock by the sea",
    "a trap springs in the crypt", "bubbles pop up in a quiet pond", "a kid on the swing at the park",
    "walking down a country road at dusk", "metal doors slam in an empty factory", "a slow dance at the prom",
])
def test_a_genre_word_used_for_a_thing_implies_no_genre(prompt):
    """"Inside the house" is a scene, not house music: no implied kit, no genre style, no genre tempo (a
    scene's own band may still bring drums: a storm at sea does)."""
    resolved = resolve(prompt)
    assert "implied by" not in resolved.values["instruments"].detail, (prompt, resolved.values["instruments"])
    assert resolved.values["style"].source != "text", (prompt, resolved.values["style"])
    assert "genre" not in resolved.values["tempo"].detail, (prompt, resolved.values["tempo"])


@pytest.mark.parametrize("prompt", [
    "deep house track for a lobby", "house music for a club night", "a rock song for a road trip",
    "rock and roll for a diner", "the classic rock sound of a stadium", "trap beat for a heist",
    "synth-pop for a racing game", "an energetic pop anthem", "heavy metal for a boss fight",
])
def test_a_genre_word_used_for_music_still_implies_its_kit(prompt):
    assert DRUMS in resolve(prompt)["instruments"], prompt
