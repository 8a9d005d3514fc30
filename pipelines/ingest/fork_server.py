"""Imported first by the fork server the checking workers start from, and nowhere else."""

import atexit
import gc

# The server holds Great Expectations' objects; collecting them when it stops at the end of a
# run took 0.6 s, and `ictbench run` waits for it.
atexit.register(gc.freeze)
