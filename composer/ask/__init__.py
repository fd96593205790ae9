"""What was asked: a prompt or a picture read into attributes (key, tempo, meter, instruments, mood) with their
sources, and the text embedding that conditions the decoder."""
