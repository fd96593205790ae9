"""The user's files are never replaced by accident, outputs are checked before any work, and a failed,
interrupted or killed run leaves none of its outputs and no temporary files behind."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from composer.core.atomic import all_or_nothing, part_path, sweep_stale_parts, write_bytes_atomic
from composer.faces import cli
from composer.output.midi_io import write_midi

from .conftest import REPO, fluidsynth_available, run_cli, small_band_score


@pytest.fixture
def song(tmp_path: Path) -> Path:
    return write_midi(small_band_score(), tmp_path / "song.mid")


def _one_line(result: subprocess.CompletedProcess[str], contains: str) -> None:
    assert result.returncode == 2, result.stderr
    assert contains in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("command", [
    ["continue", "{song}", "--bars", "1", "-o", "{song}"],
    ["infill", "{song}", "--bars", "1-1", "-o", "{song}"],
    ["convert", "{song}", "-o", "{song}"],
    ["stinger", "--to", "{song}", "-o", "{song}"],
    ["transition", "{song}", "{song}", "-o", "{song}"],
    ["generate", "--image", "{picture}", "-o", "x.mid", "--piano-roll", "{picture}"],
], ids=["continue", "infill", "convert", "stinger", "transition", "picture"])
def test_an_output_that_is_an_input_is_refused(tmp_path: Path, song: Path, command: list[str]) -> None:
    from PIL import Image

    picture = tmp_path / "p.png"
    Image.new("RGB", (8, 8), (200, 40, 40)).save(picture)
    before = {p: p.read_bytes() for p in (song, picture)}
    args = [a.format(song=song, picture=picture) for a in command]
    args = [str(tmp_path / a) if a == "x.mid" else a for a in args]
    _one_line(run_cli(*args), "is also an input")
    assert {p: p.read_bytes() for p in (song, picture)} == before


def test_a_link_to_the_input_is_the_input(tmp_path: Path, song: Path) -> None:
    link = tmp_path / "link.mid"
    link.symlink_to(song)
    _one_line(run_cli("convert", str(song), "-o", str(link)), "is also an input")


def test_in_place_replaces_the_input_atomically_keeping_its_mode(tmp_path: Path, song: Path) -> None:
    song.chmod(0o600)
    result = run_cli("convert", str(song), "-o", str(song), "--in-place")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(song.stat().st_mode) == 0o600 and not _leftovers(tmp_path)


@pytest.mark.parametrize("args,contains", [
    (["-o", "{tmp}/out.mid", "--audio", "{tmp}/out.mp3"], "use .wav, .flac or .ogg"),
    (["-o", "{tmp}/missing/out.mid"], "does not exist"),
    (["-o", "{tmp}"], "cannot write MIDI"),
    (["-o", "{tmp}/adir.mid"], "is a folder"),
    (["-o", "{tmp}/" + "n" * 300 + ".mid"], "at most 255"),
    (["-o", "{tmp}/out.mid", "--musicxml", "{tmp}/out.mid"], "cannot write MusicXML"),
    (["-o", "{tmp}/out.mid", "--piano-roll", "{tmp}/out.png", "--spectrogram", "{tmp}/out.png"], "both name"),
], ids=["audio-format", "missing-folder", "folder-as-file", "folder-named-like-a-file", "long-name", "kind",
        "twice"])
def test_outputs_are_checked_before_the_model_loads(tmp_path: Path, args: list[str], contains: str,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from composer.arrange import span

    (tmp_path / "adir.mid").mkdir()

    def never(*_: object) -> None:
        raise AssertionError("the model was loaded before the outputs were checked")

    monkeypatch.setattr(span, "load_model", never)
    assert cli.main(["generate", "a tune", "--bars", "2", *[a.format(tmp=tmp_path) for a in args]]) == 2
    error = capsys.readouterr().err
    assert contains in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out.mid").exists() and not _leftovers(tmp_path)


def test_a_failure_midway_leaves_none_of_the_outputs(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), all_or_nothing():
        write_bytes_atomic(tmp_path / "a.mid", b"first")
        write_bytes_atomic(tmp_path / "new" / "b.json", b"second")
        raise RuntimeError("the render failed")
    assert list(tmp_path.iterdir()) == []  # no a.mid, no new/ folder, no temporary file
    with all_or_nothing():
        write_bytes_atomic(tmp_path / "a.mid", b"first")
        assert not (tmp_path / "a.mid").exists()  # nothing lands before the block succeeds
    assert (tmp_path / "a.mid").read_bytes() == b"first"


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path: Path) -> None:
    code = ("import os, sys; os.umask(0o027); from composer.core.atomic import write_bytes_atomic; "
            "write_bytes_atomic(sys.argv[1], b'x')")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "new.mid")], check=True)
    assert stat.S_IMODE((tmp_path / "new.mid").stat().st_mode) == 0o640
    old = tmp_path / "old.mid"
    old.write_bytes(b"old")
    old.chmod(0o604)
    write_bytes_atomic(old, b"new")
    assert stat.S_IMODE(old.stat().st_mode) == 0o604


def test_the_next_run_sweeps_a_killed_runs_temporary_files(tmp_path: Path, song: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.mid.{dead.pid}-0123abcd.part"
    stale.write_bytes(b"half")
    mine = part_path(tmp_path / "mine.mid")  # this process is alive: its file is kept
    mine.write_bytes(b"in progress")
    assert sweep_stale_parts(tmp_path) == [stale]
    stale.write_bytes(b"half")
    mine.unlink()
    result = run_cli("convert", str(song), "-o", str(tmp_path / "out.mid"))
    assert result.returncode == 0, result.stderr
    assert not _leftovers(tmp_path)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["term", "int", "kill"])
def test_an_interrupted_generate_leaves_no_outputs(tmp_path: Path, how: signal.Signals) -> None:
    out = tmp_path / "long.mid"
    command = ["generate", "a long piece for piano, strings, flute and bass", "--bars", "256", "--seed", "1",
               "-o", str(out), "--piano-roll", str(tmp_path / "long.png")]
    process = subprocess.Popen([sys.executable, "-m", "composer", *command], cwd=REPO, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(3)  # past start-up, into loading and sampling: 256 bars of 4 parts take far longer
    assert process.poll() is None
    process.send_signal(how)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "Traceback" not in stderr
    assert not out.exists() and not (tmp_path / "long.png").exists()
    if how != signal.SIGKILL:
        assert not _leftovers(tmp_path)


@pytest.mark.skipif(not fluidsynth_available(), reason="FluidSynth is not installed")
def test_each_audio_file_keeps_its_own_sidecar(tmp_path: Path, song: Path) -> None:
    for suffix in (".wav", ".ogg"):
        assert run_cli("render", str(song), "-o", str(tmp_path / f"song{suffix}")).returncode == 0
    assert (tmp_path / "song.wav.json").exists() and (tmp_path / "song.ogg.json").exists()
    assert '"song.ogg"' in (tmp_path / "song.ogg.json").read_text()


def test_train_export_refuses_to_replace_a_checkpoint_without_force(tmp_path: Path) -> None:
    from composer.decode.checkpoint import CHECKPOINT_ROOT

    shipped = CHECKPOINT_ROOT / "base" / "model.safetensors"
    before = shipped.stat().st_mtime_ns
    result = run_cli("train", "export", "--run-dir", str(tmp_path), "--name", "base")
    _one_line(result, "--force")
    assert shipped.stat().st_mtime_ns == before
    assert os.path.exists(shipped)


def test_a_signal_a_library_swallowed_still_lands_nothing(tmp_path: Path) -> None:
    from composer.core.atomic import INTERRUPTED

    INTERRUPTED.set()  # as the CLI's SIGINT handler does, whatever happens to its KeyboardInterrupt
    try:
        with pytest.raises(KeyboardInterrupt), all_or_nothing():
            write_bytes_atomic(tmp_path / "a.mid", b"x")
    finally:
        INTERRUPTED.clear()
    assert list(tmp_path.iterdir()) == []
