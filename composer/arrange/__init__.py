"""The score and its arrangement: one span sampled under a plan, and the forms, continuations, infills, layers,
drums, stingers and cue sheets built on it."""
