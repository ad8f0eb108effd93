"""Run the reference libraries quietly: their warnings and log lines are not the user's."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

import numpy as np


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence warnings, numpy floating errors and root-logger noise for the block.

    aif360 reports missing optional dependencies with ``logging.warning`` at
    import time, which would also configure the root logger and print to
    stderr; a temporary handler and filter on the root logger swallow those
    records.
    """
    root = logging.getLogger()
    handler = logging.NullHandler()

    def drop(record: logging.LogRecord) -> bool:
        return False

    root.addHandler(handler)
    root.addFilter(drop)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(drop)
        root.removeHandler(handler)
