#!/usr/bin/env bash
# Makes sure FluidSynth and a General MIDI soundfont are present: installs them as root, else prints the command.
set -u
packages=(fluidsynth libfluidsynth3 fluid-soundfont-gm)
missing=()
command -v fluidsynth >/dev/null 2>&1 || missing+=(fluidsynth)
if ! { ldconfig -p 2>/dev/null | grep -q 'libfluidsynth\.so'; }; then missing+=(libfluidsynth3); fi
[ -e /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || missing+=(fluid-soundfont-gm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "composer: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
        || { echo "composer: apt-get could not install ${packages[*]}; audio rendering will be unavailable." >&2; exit 0; }
    exit 0
fi
echo "composer: FluidSynth or its GM soundfont is missing (${missing[*]}). Audio rendering needs them. Run:"
if command -v apt-get >/dev/null 2>&1; then
    echo "    sudo apt-get install -y ${packages[*]}"
elif command -v brew >/dev/null 2>&1; then
    echo "    brew install fluid-synth   # then point COMPOSER_SOUNDFONT at a GM .sf2"
else
    echo "    install FluidSynth 2.x (libfluidsynth) and a General MIDI .sf2 with your package manager"
fi
exit 0
