#!/usr/bin/env bash
# Regenerates the drawing examples: the source pictures (make_pictures.py), then one line per folder,
# the exact command behind it (also written to the folder's command.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
C=".venv/bin/python -m composer"
.venv/bin/python examples/draw/make_pictures.py > /dev/null
draw() { local name=$1 picture=$2; shift 2; local dir="examples/draw/$name"; mkdir -p "$dir"
         [ "$picture" = "$dir/$name-source.png" ] || cp "$picture" "$dir/$name-source.png"
         $C generate --image "$dir/$name-source.png" --draw "$@" -o "$dir/$name.mid" --audio "$dir/$name.ogg" \
            --piano-roll "$dir/$name.png" --spectrogram "$dir/$name-spectrogram.png" > /dev/null
         echo "composer generate --image $name-source.png --draw $(printf '%q ' "$@")-o $name.mid --audio $name.ogg" \
              "--piano-roll $name.png --spectrogram $name-spectrogram.png" > "$dir/command.txt"; }
draw shapes examples/draw/shapes/shapes-source.png --draw-mode edges --bars 4 --instruments vibraphone --seed 1
draw cat examples/draw/cat/cat-source.png --draw-mode silhouette --bars 4 --seed 2
draw lettering examples/draw/lettering/lettering-source.png --draw-mode silhouette --bars 4 --instruments vibraphone --seed 1
draw photo examples/sunset.png --draw-mode tone --bars 4 --seed 1
