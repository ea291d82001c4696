"""The paper's claims, checked in code: one table per set of statements, and its verdict as Markdown.

A claims table is a :class:`pandas.DataFrame` with the columns :data:`CLAIM_COLUMNS`: the statement as the
paper makes it, what was measured here, and whether it holds here (a bool). Each system's ``claims.py``
builds such tables from its experiment results with :func:`claims_table`; the chapter shows them with
:func:`claims_markdown`, whichever way they come out.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

CLAIM_COLUMNS = ["claim", "measured here", "holds here"]


def claims_table(rows: Iterable[tuple[str, str, bool]]) -> pd.DataFrame:
    """A claims table from ``(claim, measured here, holds here)`` triples.

    >>> claims_table([("A beats B.", "A 0.9 vs B 0.7", True)])["holds here"].tolist()
    [True]
    """
    rows = [(str(c), str(m), bool(h)) for c, m, h in rows]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def claims_markdown(claims: dict[str, pd.DataFrame], notes: dict[str, str] | None = None) -> str:
    """Markdown from ``{setting: claims table}``: per setting (an encoder, a data set, ...) how many
    statements hold, then each statement with its verdict and what was measured. ``notes[setting]`` is
    added after the name (e.g. ``"12 objects"``).

    >>> t = claims_table([("A beats B.", "A 0.9 vs B 0.7", True), ("C helps.", "no change", False)])
    >>> print(claims_markdown({"minclip": t}))
    * **minclip**: 1 of 2 statements hold.
      1. A beats B. — **holds** here: A 0.9 vs B 0.7.
      2. C helps. — **does not hold** here: no change.
    """
    lines = []
    for name, table in claims.items():
        held = int(table.iloc[:, 2].sum())
        note = f" ({notes[name]})" if notes and name in notes else ""
        lines.append(f"* **{name}**{note}: {held} of {len(table)} statements hold.")
        for i, (claim, measured, ok) in enumerate(table.itertuples(index=False)):
            lines.append(f"  {i + 1}. {claim} — **{'holds' if ok else 'does not hold'}** here: {measured}.")
    return "\n".join(lines)


__all__ = ["CLAIM_COLUMNS", "claims_markdown", "claims_table"]
