"""The instruments a checkpoint knows: the programs it plays when asked for them, kept in its config.json.

A checkpoint gives an instrument it never saw in training almost no probability (asked for a fretless bass
it puts 0.000 on Program_35 at every onset, so the part falls silent after the notes the masks force), and
composer.core.voices then decodes such a part as a known instrument like it. Which programs it knows is
read off the model itself, as `probe_known_programs` does: asked for one instrument (in each role, alone or
under a flute's first note), the share its first note's Program token gets. Measured on the shipped base
checkpoint: 0.07-0.85 for the instruments of the training ensembles, under 0.005 for the 90-odd the corpus
and its re-orchestrations never use.

    composer train known-programs [--checkpoint base]   # probe, and write the list into config.json
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import torch

from composer.core.atomic import write_bytes_atomic

KNOWN_SHARE = 0.01  # the least share of its first note's Program token at which a program counts as known
PROBE_ROLES = ("melody", "bass", "comp", "counter", "pad")
PROBE_MELODY = 73  # the flute whose first note the other roles enter under


def probe_known_programs(model: Any, tokenizer: Any) -> dict[int, float]:
    """Program -> the most the model gives its Program token at its first onset, over the probe roles, alone
    (a bar of C major in 4/4) and entering under a flute's first note."""
    vocab = tokenizer.vocab
    head = [tokenizer.bos_id, vocab["Key_C-major"], vocab["Meter_4/4"], vocab["BPM_moderato"]]
    bar = [vocab[t] for t in ("Bar_None", "TimeSig_4/4", "Chord_0-maj", "Chord_0-maj", "Position_0")]
    flute = [vocab[f"Program_{PROBE_MELODY}"], vocab["Pitch_72"], vocab["Velocity_71"], vocab["Duration_1.0.12"]]
    shares: dict[int, float] = {}
    for program in range(128):
        inst, target, best = vocab[f"Inst_{program}"], vocab[f"Program_{program}"], 0.0
        for role in PROBE_ROLES:
            prompts = [[*head, inst, vocab[f"Role_{role}"], *bar]]
            if role != "melody" and program != PROBE_MELODY:
                prompts.append([*head, vocab[f"Inst_{PROBE_MELODY}"], vocab["Role_melody"], inst,
                                vocab[f"Role_{role}"], *bar, *flute])
            for prompt in prompts:
                with torch.no_grad():
                    probs = model(torch.tensor([prompt]), None)[0, -1].float().softmax(-1)
                best = max(best, float(probs[target]))
        shares[program] = best
    return shares


def record_known_programs(folder: Path, shares: dict[int, float]) -> list[int]:
    """Write the known programs (and every share, for the record) into FOLDER/config.json."""
    known = sorted(p for p, share in shares.items() if share >= KNOWN_SHARE)
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config["known_programs"] = known
    config["program_shares"] = {str(p): round(s, 4) for p, s in sorted(shares.items())}
    write_bytes_atomic(path, (json.dumps(config, indent=2) + "\n").encode())
    _known_in.cache_clear()
    return known


@functools.cache
def _known_in(folder: str) -> frozenset[int] | None:
    try:
        config = json.loads((Path(folder) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    known = config.get("known_programs")
    return None if known is None else frozenset(int(p) for p in known)


def known_programs(name_or_path: str | os.PathLike[str] | None = None) -> frozenset[int] | None:
    """The programs the checkpoint (default: $COMPOSER_CHECKPOINT, else base) knows; None where its config
    names none (every program is played as itself)."""
    from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT

    if name_or_path is None:
        name_or_path = os.environ.get("COMPOSER_CHECKPOINT", DEFAULT_CHECKPOINT)
    path = Path(name_or_path)
    folder = path if path.is_dir() else CHECKPOINT_ROOT / str(name_or_path)
    return _known_in(str(folder.resolve()))

