"""Coverage of a survey round: per commune and per enumerator, how far the work is."""
