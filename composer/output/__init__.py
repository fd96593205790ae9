"""Files and audio: MIDI, MusicXML, piano rolls, FluidSynth rendering, soundfonts, the JSON sidecar, spectrograms
and live MIDI out."""
