"""Supervisors' review: a queue of submitted records of their communes; approve or return with a comment."""
