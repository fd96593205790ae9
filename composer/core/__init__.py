"""The ground floor: the music type, theory and General MIDI tables, instruments, errors, atomic writes and
analysis; imports nothing else of ours."""
