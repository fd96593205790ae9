"""Evaluation: control, music and musicality measures judged from written MIDI files; never imported when generating."""
