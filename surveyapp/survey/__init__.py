"""Survey capture: the enumerator's path from a commune to a submitted questionnaire, and record history."""
