"""Interpreter settings for the long-running processes."""

from __future__ import annotations

import gc

# A young collection every 50,000 container allocations instead of the
# interpreter's 700, the older generations in the usual ratios (10, 10).
# Each event makes hundreds of short-lived objects (freed by reference
# counting, not by the collector) while the caches keep hundreds of thousands
# of households and stream heads: with the defaults the collector ran some
# 9,000 times in a 45-second run of 100,000 households, full collections of
# the caches among them, about 40% of each monitor process's CPU. Cycles are
# still collected, just in larger batches.
THRESHOLDS = (50_000, 10, 10)


def tune_gc() -> None:
    gc.freeze()  # what start-up made (modules, models, schemas) stays: never traverse it
    gc.set_threshold(*THRESHOLDS)
