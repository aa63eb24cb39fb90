"""A reproducible synthetic census, so the app can be shown and tested without real data."""
