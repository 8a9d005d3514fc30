"""`ictbench run`'s exit codes, for a scheduler (README, "Exit codes")."""

from enum import IntEnum


class ExitCode(IntEnum):
    ACCEPTED = 0  # published (or already up to date), every delivery accepted
    NOT_PUBLISHED = 1  # a step or a blocking check failed: the previous mart stays
    USAGE = 2  # nothing ran: no drop zone, a reference file missing, a wrong option
    WITH_REFUSALS = 3  # published, but a delivery was rejected, partially accepted or refused
