"""The JSON API under /api/v1: token or session auth, the same services as the web pages."""
