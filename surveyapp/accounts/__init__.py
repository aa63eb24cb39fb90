"""User accounts. Sign-in, roles and assignments arrive with the accounts issue."""
