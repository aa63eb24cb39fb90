"""Paper backup: the blank questionnaire and one filled record as printable A4 pages."""
