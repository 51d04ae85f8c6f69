"""Flows: what each command does, start to end."""
