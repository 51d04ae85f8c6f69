"""Verdicts outside the student's kernel: checks run here, the student's code called over there."""
