"""Execution: one grading unit, workers, warm kernels, the sandbox, what a kernel may run."""
