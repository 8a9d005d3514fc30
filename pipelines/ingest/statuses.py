"""What became of a delivery: the words its load result records (and `ictbench run` repeats without
loading the checking code)."""

ACCEPTED = "accepted"
PARTIAL = "partially_accepted"
REJECTED = "rejected"
UNCHANGED = "unchanged"
