"""Interpreter settings for the long-running processes."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

# A young collection every 200,000 container allocations instead of the
# interpreter's 700, the older generations in the usual ratios (10, 10).
# Each event makes hundreds of short-lived objects (freed by reference
# counting, not by the collector) while the caches keep hundreds of thousands
# of households and stream heads: with the defaults the collector ran some
# 9,000 times in a 45-second run of 100,000 households, full collections of
# the caches among them, about 40% of each monitor process's CPU. At 50,000
# an ingesting process still collected every 5,000 events or so, each time
# finding some 48,000 live objects and nothing to free: 4.3 µs an event at a
# million households; at 200,000 it ran none in runs of 100,000 and of a
# million. Cycles are still collected, just in larger batches (some 300
# objects over a million-household run).
THRESHOLDS = (200_000, 10, 10)


def tune_gc() -> None:
    gc.freeze()  # what start-up made (modules, models, schemas) stays: never traverse it
    gc.set_threshold(*THRESHOLDS)


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def tune_malloc() -> bool:
    """Buffers of 128 KB and more (Kafka fetches, query results) mapped and
    returned to the system one by one. glibc's default raises this threshold
    after the first such buffer is freed and then serves them from its heap,
    which kept them resident: an ingesting process at 300,000 households
    peaked at 292 MB with the default, 258 MB with this, at the same speed.
    False where the C library is not glibc (nothing changed)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        return libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1
    except (OSError, AttributeError):
        return False
