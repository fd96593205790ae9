#!/usr/bin/env bash
# Ten pieces written as MusicXML and engraved by MuseScore 3 (the client a copyist uses): examples/notation/.
# Each PNG is MuseScore's first page, trimmed; the .musicxml beside it is what composer wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
C=".venv/bin/python -m composer"
out=examples/notation
mkdir -p "$out"
command -v mscore3 > /dev/null || { echo "MuseScore 3 is needed: apt-get install musescore3" >&2; exit 2; }
note() { local name=$1; shift
         $C generate "$@" -o "$out/$name.mid" --musicxml "$out/$name.musicxml" > /dev/null
         QT_QPA_PLATFORM=offscreen mscore3 -T 20 -r 110 -o "$out/$name.png" "$out/$name.musicxml" > /dev/null 2>&1
         mv "$out/$name-1.png" "$out/$name.png"; rm -f "$out"/"$name"-[2-9].png "$out/$name.mid"
         echo "composer generate $(printf '%q ' "$@")--musicxml $name.musicxml" >> "$out/commands.txt"; }
rm -f "$out/commands.txt"
note string-quartet "String quartet in G major, 3/4, Andante" --bars 8 --seed 2
note chorale "Baroque chorale for four voices (choir) in G major, Adagio." --bars 8 --seed 1
note piano "Calm solo piano piece in C major at 72 bpm." --bars 8 --seed 4
note jig "A lively Irish jig for fiddle and tin whistle in D major" --bars 8 --seed 3
note jazz-trio "a jazz ballad for sax, piano and upright bass" --bars 8 --seed 1
note flat-key "A brass chorale in E-flat major for trumpet, horn, trombone and tuba" --bars 8 --seed 2
note pop-band "upbeat pop with piano, electric bass and drums" --bars 8 --seed 5
note waltz "A gentle waltz for flute, harp and cello in F major" --bars 8 --seed 6
note minor-strings "Sad strings in D minor, slow, for violin, viola and cello" --bars 8 --seed 7
note folk-trio "a calm folk song for flute, guitar and cello" --bars 8 --seed 8
