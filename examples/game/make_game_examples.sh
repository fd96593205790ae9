#!/usr/bin/env bash
# Makes every file in examples/game/ (run from the repository root): bash examples/game/make_game_examples.sh
set -euo pipefail
cd "$(dirname "$0")"
COMPOSER="${COMPOSER:-../../.venv/bin/python -m composer}"

# 1. A seamless 8-bar loop at -16 LUFS: forest.mid, forest.ogg (LOOPSTART/LOOPLENGTH inside), its release tail
#    forest-tail.ogg for when the loop stops, and the sidecar forest.ogg.json (loop points in samples).
$COMPOSER generate "calm forest exploration" --bars 8 --loop --seed 3 -o forest.mid --audio forest.ogg \
    --tail forest-tail.ogg --loudness -16

# 2. Three intensity layers sharing one key, tempo and chord plan: stealth-low/mid/high.{mid,ogg,json},
#    and one stem per track in stems/ (every file the same length, sample-aligned).
$COMPOSER generate "tense stealth mission" --layers low,mid,high --loop --bars 8 --seed 5 \
    -o stealth.mid --audio stealth.ogg --stems stems/

# 3. A 2-bar victory stinger in forest's key, tempo and instruments, resolving to its tonic, as loud as forest;
#    its sidecar's "sync" says to start it on forest's next bar line.
$COMPOSER stinger --to forest.mid --seed 1 -o victory-sting.mid --audio victory-sting.ogg --loudness -16

# 4. The cue sheet (cues.yaml) scored as one piece, with a marker and a segment (start, end, bars, bpm) per
#    scene in level.ogg.json.
$COMPOSER score cues.yaml --seed 2 -o level.mid --audio level.ogg --loudness -16
