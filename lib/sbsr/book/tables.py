"""How a plain table reads in the book: no bare 0, 1, 2 index column, and integers printed as integers.

:func:`tidy` returns the frame as a reader should see it; :func:`use_book_tables` (called by
:func:`sbsr.book.setup`) makes every ``DataFrame`` a notebook displays go through it. Result tables beside
the published ones have their own layout (:func:`sbsr.book.results.results_html`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def tidy(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without a default ``RangeIndex`` (0, 1, 2 ... is no information) and with float columns that
    hold only whole numbers (and NaN) as nullable integers, so ``12.0`` reads ``12``.

    >>> tidy(pd.DataFrame({"n": [1.0, 2.0, None], "x": [0.5, 1.0, 2.0]})).dtypes.astype(str).tolist()
    ['Int64', 'float64']
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_float_dtype(s) and s.notna().any():
            vals = s.dropna().to_numpy(dtype=float)
            if np.all(np.isfinite(vals)) and np.all(vals == np.round(vals)) and np.abs(vals).max() < 2**53:
                out[col] = s.astype("Int64")
    if isinstance(out.index, pd.RangeIndex) and out.index.start == 0 and out.index.step == 1:
        out = out.reset_index(drop=True)
        out.index = [""] * len(out)
    return out


def frame_html(df: pd.DataFrame) -> str:
    """HTML of :func:`tidy` ``(df)`` (the index column is left out when it was a bare range)."""
    bare = isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1
    return tidy(df).to_html(index=not bare, border=0, classes="dataframe sbsr-table", na_rep="–")


def use_book_tables() -> None:
    """Display every ``DataFrame`` in this IPython session through :func:`frame_html` (a no-op outside
    IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return
    ip = get_ipython()
    if ip is not None:
        ip.display_formatter.formatters["text/html"].for_type(pd.DataFrame, frame_html)


__all__ = ["frame_html", "tidy", "use_book_tables"]
