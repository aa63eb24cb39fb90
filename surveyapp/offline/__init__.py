"""Working without a connection: the service worker, the offline questionnaire and the outbox."""
