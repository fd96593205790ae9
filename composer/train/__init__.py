"""Training: the corpus (conversion, attributes, captions, splits, shards) and the training loop; never imported
when generating."""
