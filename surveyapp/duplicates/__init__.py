"""Data quality: the same real establishment entered twice — candidates, merges, "not a duplicate"."""
