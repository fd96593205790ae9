"""Decoding: the token vocabulary and control tokens, the Music Transformer, its KV-cache decoder, the sampling
loop and checkpoints."""
