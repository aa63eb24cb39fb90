"""Data quality: stored answers that break the rules of their questionnaire's current version."""
