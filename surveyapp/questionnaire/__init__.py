"""Questionnaires as data: definitions in forms/, expressions, answers, the form builder."""
