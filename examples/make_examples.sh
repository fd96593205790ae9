#!/usr/bin/env bash
# Regenerates the generated examples: each line is the exact command behind a folder.
set -euo pipefail
cd "$(dirname "$0")/.."
C=".venv/bin/python -m composer"
gen() { local name=$1; shift; mkdir -p "examples/$name"
        $C generate "$@" -o "examples/$name/$name.mid" --audio "examples/$name/$name.ogg" \
           --piano-roll "examples/$name/$name.png" > /dev/null
        echo "composer generate $(printf '%q ' "$@")-o $name.mid --audio $name.ogg --piano-roll $name.png" \
           > "examples/$name/command.txt"; }
gen solo-piano "Calm solo piano piece in C major at 72 bpm." --bars 16 --seed 4
gen string-quartet "String quartet in G major, 3/4, Andante" --bars 16 --seed 2
gen chorale "Baroque chorale for four voices (choir) in G major, Adagio." --bars 8 --seed 1
gen folk-jig "A lively Irish jig for fiddle and tin whistle in D major" --bars 16 --seed 3
gen battle-theme "Boss battle, epic and frantic" --bars 16 --seed 5
gen ambient "Ambient, vast and dreamy, synth pad and piano, slow" --bars 16 --seed 6
.venv/bin/python - <<'PY'
import numpy as np
from PIL import Image
x = np.linspace(0, 1, 320)
sky = np.stack([np.outer(np.ones(240), 255 * (0.95 - 0.45 * x)), np.outer(np.linspace(0.35, 0.8, 240), 255 * np.ones(320)),
                np.outer(np.linspace(0.2, 0.7, 240), 255 * np.ones(320))], -1)
Image.fromarray(sky.astype(np.uint8)).save("examples/sunset.png")
PY
gen from-an-image --image examples/sunset.png --bars 16 --seed 7
mkdir -p examples/continuation
$C continue examples/chorale/chorale.mid --bars 8 -o examples/continuation/continuation.mid \
   --audio examples/continuation/continuation.ogg --piano-roll examples/continuation/continuation.png --seed 8 > /dev/null
echo "composer continue ../chorale/chorale.mid --bars 8 -o continuation.mid --audio continuation.ogg --piano-roll continuation.png --seed 8" \
   > examples/continuation/command.txt
