"""Administration: users and their assignments, survey rounds, the audit trail."""
