"""Validity: every file composer writes opens in MuseScore 3, music21, pretty_midi and `fluidsynth -ni`.

24 requests through the real CLI (`composer.faces.cli.main`, in one process so the model loads once): every
meter the model knows, keys with six and seven sharps or flats, one to four instruments with and
without drums, slow and fast tempos, a prompt, a picture, --loop, --form "intro A B A outro",
--layers low,mid,high (three MIDI files, their MusicXML by `composer convert`), and `continue` and
`infill` of a Bach chorale from music21's corpus; 2 to 8 bars each. Each .mid and .musicxml is then
opened by: MuseScore 3 (`mscore3 -o` converts the MIDI to MusicXML and our MusicXML to MIDI: exit 0, a
file, our meters, and from our MIDI our keys on every pitched staff), music21 (`converter.parse` of both,
with notes), pretty_midi (instruments, as many notes as composer reads, and no warning), symusic (one key
event per key change) and FluidSynth (`fluidsynth -ni -F out.wav`: exit 0, no "error" in its output, a
WAV). A tool that is not installed is skipped and reported as such.
Floor: no failure. Writes results/validity.json.
Run: .venv/bin/python benchmarks/validity.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

TOOL_TIMEOUT = 120  # seconds for one MuseScore or FluidSynth run

# (name, CLI arguments); "{work}" is the output folder, "{chorale}" the corpus piece, "{picture}" a PNG.
CASES: list[tuple[str, list[str]]] = [
    ("piano-4-4-C", ["generate", "--key", "C major", "--meter", "4/4", "--instruments", "piano", "--bars", "4"]),
    ("duo-3-4-Dm", ["generate", "--key", "D minor", "--meter", "3/4", "--instruments", "violin,cello",
                    "--bars", "4"]),
    ("jig-6-8-Em", ["generate", "--key", "E minor", "--meter", "6/8", "--instruments", "flute,cello",
                    "--chords", "Em C D Em", "--bars", "4"]),
    ("march-2-4-Bb-drums", ["generate", "--key", "Bb major", "--meter", "2/4",
                            "--instruments", "trumpet,tuba,drums", "--bars", "4"]),
    ("piano-5-4-F#", ["generate", "--key", "F# major", "--meter", "5/4", "--instruments", "piano", "--bars", "2"]),
    ("strings-6-4-Ebm", ["generate", "--key", "Eb minor", "--meter", "6/4", "--instruments", "strings,harp",
                         "--bars", "2"]),
    ("trio-2-2-C#-drums", ["generate", "--key", "C# major", "--meter", "2/2", "--instruments", "piano,bass,drums",
                           "--bars", "4"]),
    ("clarinet-1-2-Cb", ["generate", "--key", "Cb major", "--meter", "1/2", "--instruments", "clarinet",
                         "--bars", "4"]),
    ("organ-3-2-A#m", ["generate", "--key", "A# minor", "--meter", "3/2", "--instruments", "organ,choir",
                       "--bars", "2"]),
    ("strings-4-2-Abm", ["generate", "--key", "Ab minor", "--meter", "4/2", "--instruments", "strings",
                         "--bars", "2"]),
    ("reeds-3-8-Gb", ["generate", "--key", "Gb major", "--meter", "3/8", "--instruments", "oboe,bassoon",
                      "--bars", "4"]),
    ("guitar-9-8-D#m", ["generate", "--key", "D# minor", "--meter", "9/8", "--instruments", "guitar,bass",
                        "--bars", "2"]),
    ("band-12-8-A-drums", ["generate", "--key", "A major", "--meter", "12/8",
                           "--instruments", "piano,bass,sax,drums", "--bars", "2"]),
    ("marimba-1-4-G", ["generate", "--key", "G major", "--meter", "1/4", "--instruments", "marimba", "--bars", "8"]),
    ("quartet-prompt", ["generate", "String quartet in G major, gentle", "--bars", "2"]),
    ("battle-prompt", ["generate", "boss battle, fast and loud, with drums", "--bars", "2"]),
    ("slow-40-bpm", ["generate", "--key", "F minor", "--tempo", "40", "--instruments", "cello,piano", "--bars", "2"]),
    ("fast-220-bpm", ["generate", "--key", "E major", "--tempo", "220", "--instruments", "piano,drums",
                      "--bars", "4"]),
    ("picture", ["generate", "--image", "{picture}", "--bars", "2"]),
    ("loop-drums", ["generate", "tavern theme", "--loop", "--key", "D major", "--meter", "3/4",
                    "--instruments", "fiddle,flute,drums", "--bars", "4"]),
    ("form-intro-ABA-outro", ["generate", "--form", "intro A B A outro", "--key", "G minor",
                              "--instruments", "piano,strings", "--bars", "8"]),
    ("layers-low-mid-high", ["generate", "--layers", "low,mid,high", "--key", "E minor",
                             "--instruments", "strings,piano,flute,drums", "--bars", "2"]),
    ("continue-chorale", ["continue", "{chorale}", "--bars", "2"]),
    ("infill-chorale", ["infill", "{chorale}", "--bars", "2-3", "--tracks", "Soprano,Alto"]),
]


@dataclass
class Check:
    """One file opened by one tool: passed (True/False) or skipped (None, the tool is not installed)."""

    tool: str  # musescore, music21, pretty_midi, fluidsynth
    file: str
    ok: bool | None
    message: str


# ---------------------------------------------------------------- inputs and generation


def make_inputs(work: Path) -> dict[str, str]:
    """The chorale (Bach's BWV 66.6, first 4 bars, from music21's corpus) and a sunset picture to start from."""
    import numpy as np
    from music21 import corpus
    from PIL import Image

    from composer.core.score import Track
    from composer.output.midi_io import write_midi
    from composer.output.musicxml_io import score_from_music21

    score = score_from_music21(corpus.parse("bach/bwv66.6"), title="bwv66.6")
    end = score.bar_starts(until_tick=score.end_tick + 1)[4]
    score.tracks = [Track(t.name, t.program, t.is_drum, [n for n in t.notes if n.end <= end]) for t in score.tracks]
    score.length = end
    chorale = write_midi(score, work / "chorale.mid")
    rows = np.linspace(0.0, 1.0, 96)[:, None, None]
    sky = (1 - rows) * np.array([255, 140, 40]) + rows * np.array([60, 20, 90])  # orange into violet
    picture = work / "sunset.png"
    Image.fromarray(np.repeat(sky, 128, axis=1).astype(np.uint8)).save(picture)
    return {"chorale": str(chorale), "picture": str(picture), "work": str(work)}


def run_case(name: str, arguments: list[str], work: Path, inputs: dict[str, str], seed: int = 1) -> dict:
    """Run one request through composer's CLI (with --json, -o and --musicxml); returns the outputs as
    (MIDI, MusicXML) pairs, the seconds, and the error line when the command failed."""
    from composer.faces.cli import main

    argv = [a.format(**inputs) for a in arguments] + ["-o", str(work / f"{name}.mid"), "--seed", str(seed), "--json"]
    if "--layers" not in arguments:
        argv += ["--musicxml", str(work / f"{name}.musicxml")]
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    record: dict = {"name": name, "command": "composer " + " ".join(argv), "exit_code": code,
                    "seconds": round(time.perf_counter() - started, 2), "outputs": []}
    if code != 0:
        record["error"] = err.getvalue().strip()
        return record
    outputs = json.loads(out.getvalue().strip().splitlines()[-1])["outputs"]
    if isinstance(outputs["midi"], dict):  # --layers: one MIDI file a layer; MusicXML by `composer convert`
        for midi in outputs["midi"].values():
            xml = str(Path(midi).with_suffix(".musicxml"))
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                if main(["convert", midi, "--musicxml", xml]) != 0:
                    record["error"] = err.getvalue().strip()
                    return record
            record["outputs"].append((midi, xml))
    else:
        record["outputs"].append((outputs["midi"], outputs["musicxml"]))
    return record


# ---------------------------------------------------------------- the tools


def _warnings(warned: list[warnings.WarningMessage]) -> str:
    """"; warning: ..." for each distinct warning a reader gave (reported, not counted as failures)."""
    return "".join(f"; warning: {text}" for text in dict.fromkeys(str(w.message)[:200] for w in warned))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def musescore(path: Path, work: Path) -> tuple[bool | None, str]:
    """MuseScore 3 imports the file and exports it (MIDI -> MusicXML, MusicXML -> MIDI)."""
    if shutil.which("mscore3") is None:
        return None, "mscore3 not installed"
    target = work / f"{path.stem}.mscore{'.musicxml' if path.suffix == '.mid' else '.mid'}"
    target.unlink(missing_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        result = subprocess.run(["mscore3", "-o", str(target), str(path)], capture_output=True, text=True,
                                env=env, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"mscore3 took over {TOOL_TIMEOUT} s"
    if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        return False, f"exit {result.returncode}: {_last_line(result.stderr + result.stdout)}"
    ours, theirs = meters(path), meters(target)
    if theirs != ours:  # an overfull bar comes back as an odd meter (4.5 beats of 4/4 as 9/8)
        return False, f"MuseScore reads the meters {sorted(theirs)}, the file has {sorted(ours)}"
    if path.suffix == ".mid":  # and every pitched staff in the file's keys (it guesses where it finds none)
        from composer.output.midi_io import read_midi

        keys, read = {k.sharps for k in read_midi(path).key_signatures}, staff_keys(target)
        if keys and read - keys:
            return False, f"MuseScore reads the keys {sorted(read)} (fifths), the file has {sorted(keys)}"
    return True, f"exported {target.stat().st_size} bytes, meters {sorted(theirs)}"


def staff_keys(path: Path) -> set[int]:
    """The key signatures (fifths) of a MusicXML file's pitched parts (a drum part's notes are unpitched)."""
    root = ET.parse(path).getroot()
    return {int(f.text or 0) for part in root.findall("part") if part.find(".//unpitched") is None
            for f in part.iter("fifths")}


def meters(path: Path) -> set[str]:
    """The time signatures in a MIDI or MusicXML file, as "3/4" strings."""
    if path.suffix == ".mid":
        from composer.output.midi_io import read_midi

        return {str(ts) for ts in read_midi(path).time_signatures}
    root = ET.parse(path).getroot()
    return {f"{t.findtext('beats')}/{t.findtext('beat-type')}" for t in root.iter("time")}


def full_bars(path: Path) -> tuple[bool | None, str]:
    """Our MusicXML: no voice in any bar runs past the bar's length (<backup>/<forward> followed)."""
    root = ET.parse(path).getroot()
    names = {p.get("id"): p.findtext("part-name") for p in root.iter("score-part")}
    for part in root.findall("part"):
        divisions, beats, beat_type = 1, 4, 4
        for measure in part.findall("measure"):
            attributes = measure.find("attributes")
            if attributes is not None:
                divisions = int(attributes.findtext("divisions") or divisions)
                if attributes.find("time") is not None:
                    beats = int(attributes.findtext("time/beats") or beats)
                    beat_type = int(attributes.findtext("time/beat-type") or beat_type)
            position = furthest = 0
            for element in measure:
                if element.tag == "note" and element.find("chord") is None and element.find("grace") is None:
                    position += int(element.findtext("duration") or 0)
                elif element.tag in ("backup", "forward"):
                    position += int(element.findtext("duration") or 0) * (-1 if element.tag == "backup" else 1)
                furthest = max(furthest, position)
            if furthest * beat_type > divisions * 4 * beats:
                return False, (f"part {names.get(part.get('id'))!r} bar {measure.get('number')} holds "
                               f"{furthest / divisions:g} quarters in {beats}/{beat_type}")
    return True, "every bar within its meter"


def _read(reader: Callable[[str], Any], path: Path) -> tuple[Any, str | None, list[warnings.WarningMessage]]:
    """reader(path) with its warnings recorded: (result, None, warnings), or (None, the error, warnings)
    when it raises (any exception is the finding to report)."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        try:
            return reader(str(path)), None, warned
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300], warned


def music21_parse(path: Path) -> tuple[bool | None, str]:
    """music21's converter.parse reads the file, and finds notes in it."""
    try:
        from music21 import converter
    except ImportError:
        return None, "music21 not installed"
    parsed, error, warned = _read(converter.parse, path)
    if error is not None:
        return False, error
    notes = len(parsed.flatten().notes)
    return notes > 0, f"{len(parsed.parts)} parts, {notes} notes and chords" + _warnings(warned)


def pretty_midi_load(path: Path) -> tuple[bool | None, str]:
    """pretty_midi loads the MIDI file with instruments, as many notes as composer's reader finds, and no
    warning (it warns of tempo, key or meter events outside track 0)."""
    try:
        import pretty_midi
    except ImportError:
        return None, "pretty_midi not installed"
    from composer.output.midi_io import read_midi

    midi, error, warned = _read(pretty_midi.PrettyMIDI, path)
    if error is not None:
        return False, error
    notes = sum(len(i.notes) for i in midi.instruments)
    expected = read_midi(path).note_count
    message = f"{len(midi.instruments)} instruments, {notes} notes (composer reads {expected})" + _warnings(warned)
    return bool(midi.instruments) and notes == expected > 0 and not warned, message


def symusic_keys(path: Path) -> tuple[bool | None, str]:
    """symusic reads one key event per key change (no copies in the parts)."""
    try:
        import symusic
    except ImportError:
        return None, "symusic not installed"
    from composer.output.midi_io import read_midi

    parsed, error, _ = _read(symusic.Score, path)
    if error is not None:
        return False, error
    events, changes = len(parsed.key_signatures), len(read_midi(path).key_signatures)
    return events == changes, f"{events} key events for {changes} key changes"


def fluidsynth_render(path: Path, work: Path) -> tuple[bool | None, str]:
    """`fluidsynth -ni -F out.wav SOUNDFONT file.mid` exits 0, prints no error and writes a WAV."""
    from composer.output.soundfonts import find_soundfonts

    soundfonts = find_soundfonts()
    if shutil.which("fluidsynth") is None or not soundfonts:
        return None, "fluidsynth or a soundfont not installed"
    wav = work / f"{path.stem}.fluidsynth.wav"
    wav.unlink(missing_ok=True)
    try:
        result = subprocess.run(["fluidsynth", "-ni", "-F", str(wav), str(soundfonts[0].path), str(path)],
                                capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"fluidsynth took over {TOOL_TIMEOUT} s"
    output = result.stdout + result.stderr
    errors = [line.strip() for line in output.splitlines() if "error" in line.lower()]
    if result.returncode != 0 or errors or not wav.is_file() or wav.stat().st_size <= 44:
        return False, f"exit {result.returncode}: {(errors or [_last_line(output)])[0][:300]}"
    return True, f"{wav.stat().st_size} bytes of WAV"


def tool_versions() -> dict[str, str]:
    """The first line of `mscore3 --version` and `fluidsynth --version`."""
    found = {}
    for tool in ("mscore3", "fluidsynth"):
        if shutil.which(tool) is None:
            found[tool] = "not installed"
            continue
        result = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        found[tool] = next((line.strip() for line in (result.stdout + result.stderr).splitlines()
                            if any(ch.isdigit() for ch in line)), "unknown")
    return found


def notes_kept(midi: Path, work: Path) -> dict[str, int | None]:
    """Notes in our MIDI file, and in the MIDI that MuseScore plays from our MusicXML (None without it).
    Not a pass/fail check: MuseScore merges a re-struck unison and, with no drum map in the MusicXML,
    reads a kit as one unpitched line, so the two can differ."""
    from composer.output.midi_io import read_midi

    played, score = work / f"{midi.stem}.mscore.mid", read_midi(midi)
    restruck = 0  # a pitch struck again in its track while it still sounds
    for track in score.tracks:
        sounding_until: dict[int, int] = {}
        for note in track.notes:  # in start order
            restruck += note.start < sounding_until.get(note.pitch, -1)
            sounding_until[note.pitch] = max(sounding_until.get(note.pitch, -1), note.end)
    return {"ours": score.note_count, "musescore": read_midi(played).note_count if played.is_file() else None,
            "drum_notes": sum(len(t.notes) for t in score.tracks if t.is_drum), "restruck_unisons": restruck}


def check_output(midi: Path, xml: Path, work: Path) -> list[Check]:
    """The checks of one output: MuseScore on both files, our MusicXML's bars, music21 on both, pretty_midi,
    FluidSynth."""
    runs: list[tuple[str, Path, Callable[[], tuple[bool | None, str]]]] = [
        ("musescore", midi, lambda: musescore(midi, work)),
        ("musescore", xml, lambda: musescore(xml, work)),
        ("musicxml_bars", xml, lambda: full_bars(xml)),
        ("music21", midi, lambda: music21_parse(midi)),
        ("music21", xml, lambda: music21_parse(xml)),
        ("pretty_midi", midi, lambda: pretty_midi_load(midi)),
        ("symusic", midi, lambda: symusic_keys(midi)),
        ("fluidsynth", midi, lambda: fluidsynth_render(midi, work)),
    ]
    checks = []
    for tool, path, run in runs:
        ok, message = run()
        checks.append(Check(tool, path.name, ok, message))
    return checks


# ---------------------------------------------------------------- the benchmark


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR", help="write the files here and keep them")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        inputs = make_inputs(work)
        cases, checks = [], []
        for name, arguments in CASES:
            record = run_case(name, arguments, work, inputs)
            for midi, xml in record["outputs"]:
                found = check_output(Path(midi), Path(xml), work)
                checks += found
                record.setdefault("checks", []).extend(asdict(c) for c in found)
                record.setdefault("notes", []).append(notes_kept(Path(midi), work))
            record["outputs"] = [[Path(m).name, Path(x).name] for m, x in record["outputs"]]
            cases.append(record)
            bad = [c for c in record.get("checks", []) if c["ok"] is False]
            status = f"FAILED: {record['error']}" if "error" in record else (
                f"{len(bad)} failed checks" if bad else f"{len(record['outputs'])} file(s) ok")
            print(f"{name:24s} {record['seconds']:6.1f} s  {status}", flush=True)
    tools: dict[str, dict[str, int]] = {}
    for check in checks:
        counts = tools.setdefault(check.tool, {"passed": 0, "failed": 0, "skipped": 0})
        counts["passed" if check.ok else "skipped" if check.ok is None else "failed"] += 1
    failures = [f"{c.file} ({c.tool}): {c.message}" for c in checks if c.ok is False]
    failures += [f"{c['name']} (composer): {c['error']}" for c in cases if "error" in c]
    outputs = sum(len(c["outputs"]) for c in cases)
    kept = [n for c in cases for n in c.get("notes", []) if n["musescore"] is not None]
    drumless = [n for n in kept if n["drum_notes"] == 0]
    warned = {tool: sum("warning:" in c.message for c in checks if c.tool == tool) for tool in tools}
    figures = {
        "requests": len(cases), "outputs": outputs, "files": 2 * outputs, "tools": tool_versions(), "per_tool": tools,
        "failures": failures, "files_with_reader_warnings": warned,
        "musescore_notes_from_our_musicxml": {
            "all": {"ours": sum(n["ours"] for n in kept), "musescore": sum(n["musescore"] for n in kept)},
            "without_drums": {"ours": sum(n["ours"] for n in drumless),
                              "musescore": sum(n["musescore"] for n in drumless),
                              "restruck_unisons": sum(n["restruck_unisons"] for n in drumless)}},
        "seconds": round(time.perf_counter() - started, 1), "cases": cases,
        "floors": {"failures": 0},
    }
    figures["meets_floors"] = not failures
    path = write_result("validity", figures, packages=("music21", "pretty_midi", "mido"))
    print(f"{len(cases)} requests, {outputs} outputs (.mid + .musicxml) in {figures['seconds']} s")
    for tool, counts in tools.items():
        print(f"  {tool:13s} {counts['passed']:3d} passed {counts['failed']:3d} failed {counts['skipped']:3d} skipped")
    notes = figures["musescore_notes_from_our_musicxml"]
    print(f"  MuseScore plays {notes['all']['musescore']} of our {notes['all']['ours']} notes from the MusicXML "
          f"({notes['without_drums']['musescore']} of {notes['without_drums']['ours']} in pieces without drums, "
          f"which re-strike a sounding pitch {notes['without_drums']['restruck_unisons']} times); "
          f"reader warnings: {warned}")
    for failure in failures:
        print(f"  FAIL {failure}")
    print(f"floor (no failure) {'met' if figures['meets_floors'] else 'NOT met'}  -> {path}")
    return 0 if figures["meets_floors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
