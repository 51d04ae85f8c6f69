"""What comes in: submissions, their layouts, student ids, the roster, due dates."""
