"""Soundfont lookup order: --soundfont, $COMPOSER_SOUNDFONT, soundfonts/, system, pretty_midi."""

import pytest

from composer.core.errors import SoundfontError
from composer.output import soundfonts
from composer.output.soundfonts import ENV_VAR, find_soundfonts, resolve_soundfont


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No repo, system or environment soundfonts: only what a test puts in place."""
    monkeypatch.setattr(soundfonts, "REPO_SOUNDFONT_DIR", tmp_path / "repo")
    monkeypatch.setattr(soundfonts, "SYSTEM_SOUNDFONTS", (tmp_path / "system" / "FluidR3_GM.sf2",))
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    return path


def test_order_is_explicit_env_repo_system_bundled(isolated, monkeypatch):
    explicit = touch(isolated / "mine.sf2")
    env = touch(isolated / "env.sf3")
    repo = touch(isolated / "repo" / "big.sf2")
    system = touch(isolated / "system" / "FluidR3_GM.sf2")
    monkeypatch.setenv(ENV_VAR, str(env))
    found = find_soundfonts(explicit)
    assert [c.path for c in found[:4]] == [explicit, env, repo, system]
    assert [c.source for c in found] == ["--soundfont", f"${ENV_VAR}", "soundfonts/", "system", "pretty_midi"]


def test_bundled_pretty_midi_soundfont_is_the_last_resort(isolated):
    path = resolve_soundfont()
    assert path.name == "TimGM6mb.sf2"


def test_missing_explicit_soundfont_is_an_error_not_a_fallback(isolated):
    with pytest.raises(SoundfontError, match="does not exist"):
        resolve_soundfont(isolated / "nope.sf2")


def test_missing_env_soundfont_is_an_error(isolated, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(isolated / "gone.sf2"))
    with pytest.raises(SoundfontError, match=ENV_VAR):
        resolve_soundfont()


def test_wrong_suffix_is_refused(isolated):
    with pytest.raises(SoundfontError, match="sf2"):
        resolve_soundfont(touch(isolated / "notes.txt"))


def test_nothing_anywhere_says_what_to_do(isolated, monkeypatch):
    monkeypatch.setattr(soundfonts, "bundled_soundfont", lambda: None)
    with pytest.raises(SoundfontError, match="apt-get install fluid-soundfont-gm"):
        resolve_soundfont()
