"""Corpus building, attributes, augmentation, captions and token shards: used by training, never at inference."""
