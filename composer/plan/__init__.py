"""The plan: a checked request turned into key, meter, bars, parts, chords, control tokens and a constraint spec
(and a picture to draw)."""
