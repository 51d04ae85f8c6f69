"""Experiment helpers of the assignments, one module per topic (never an exercise's answer).

The helpers take the student's functions as arguments, so the experiments run on their code.
Shared models and loops live in `dlcourse.models`, thread and seed settings in `dlcourse.runtime`.
"""
