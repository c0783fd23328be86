"""Interpreter settings for the long-running processes."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

# A young collection every 200,000 container allocations instead of the
# interpreter's 700 (older generations in the usual ratios). Each event makes
# hundreds of short-lived objects, freed by reference counting, while the
# caches hold hundreds of thousands of long-lived ones: with the default
# thresholds the collector keeps traversing the caches and finds nothing to
# free. Cycles are still collected, in larger batches.
THRESHOLDS = (200_000, 10, 10)


def tune_gc() -> None:
    gc.freeze()  # what start-up made (modules, models, schemas) stays: never traverse it
    gc.set_threshold(*THRESHOLDS)


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def tune_malloc() -> bool:
    """Buffers of 128 KB and more (Kafka fetches, query results) mapped and
    returned to the system one by one. glibc's default raises this threshold
    after the first such buffer is freed and then serves them from its heap,
    where they stay resident and count against the process's memory bound.
    False where the C library is not glibc (nothing changed)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        return libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1
    except (OSError, AttributeError):
        return False
