"""`python -m autograder.engine.limits CPU_S MEMORY_MB PROCESSES FILE_MB -- COMMAND...`: set rlimits, exec."""

import os
import resource
import sys


def main(argv: list[str]) -> None:
    separator = argv.index("--")
    cpu_s, memory_mb, processes, file_mb = (int(v) for v in argv[:separator])
    mb = 1024 * 1024
    for limit, value in ((resource.RLIMIT_CPU, cpu_s), (resource.RLIMIT_AS, memory_mb * mb),
                         (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_FSIZE, file_mb * mb),
                         (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(limit, (value, value))
    command = argv[separator + 1:]
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
