"""How the case store keeps findings, for the code that writes them.

``findings`` is a view (:mod:`breachscope.case`): the rows of ``plain_findings`` and the cells
of labelled table columns (``finding_cells`` joined to their column's ``finding_columns``
row, a cell's location rebuilt from the column's prefix, the cell's row number and the
column's suffix). Readers query the view; writers cannot (DuckDB writes tables, not views):
new findings go to ``plain_findings`` (:data:`PLAIN`), and deleting findings goes through
:func:`delete_findings` or :func:`delete_contents`, which delete from both tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

#: The table that takes findings written one row each.
PLAIN = "plain_findings"

#: The cells as rows of ``findings``, with each cell's ``rowid`` (``_cell``) for deleting it.
_CELLS_AS_FINDINGS = (
    "(SELECT f.rowid AS _cell, c.sha256, concat(c.loc_prefix, f.n, c.loc_suffix) AS location, "
    "c.entity, f.value, f.confidence, c.detector "
    "FROM finding_cells f JOIN finding_columns c USING (column_id))")


#: ``findings`` with a sort key (``_k1``, ``_k2``, ``_k3``) that gives each content's findings
#: in a readable order (exports): the ones stored one by one in the order they were stored,
#: then the cells row by row, a row's cells column by column.
IN_ORDER = (
    "(SELECT sha256, location, entity, value, confidence, detector, 0 AS _k1, rowid AS _k2, "
    "0 AS _k3 FROM plain_findings UNION ALL "
    "SELECT c.sha256, concat(c.loc_prefix, f.n, c.loc_suffix), c.entity, f.value, "
    "f.confidence, c.detector, 1, f.n, f.column_id "
    "FROM finding_cells f JOIN finding_columns c USING (column_id))")


#: How many findings each content has of each entity (``sha256``, ``entity``, ``n``; a pair
#: may come in two rows: sum them): the cells counted per column, without joining 85 M cells
#: to their columns (the report's counts read the view 2-3 times slower).
COUNTS = (
    "(SELECT sha256, entity, count(*) AS n FROM plain_findings GROUP BY ALL UNION ALL "
    "SELECT c.sha256, c.entity, f.n FROM (SELECT column_id, count(*) AS n FROM finding_cells "
    "GROUP BY ALL) f JOIN finding_columns c USING (column_id))")


def delete_findings(db: duckdb.DuckDBPyConnection, condition: str,
                    params: Sequence[object] = ()) -> None:
    """``DELETE FROM findings WHERE condition``: ``condition`` names ``findings``' columns
    (``sha256``, ``location``, ``entity``, ``value``, ``confidence``, ``detector``) and binds
    ``params``. A column's row in ``finding_columns`` stays when its cells are all deleted (it
    is a few strings; its content's rescan or :func:`delete_contents` removes it)."""
    db.execute(f"DELETE FROM {PLAIN} WHERE {condition}", list(params))
    db.execute(f"DELETE FROM finding_cells WHERE rowid IN (SELECT _cell FROM "
               f"{_CELLS_AS_FINDINGS} WHERE {condition})", list(params))


def delete_contents(db: duckdb.DuckDBPyConnection, shas: list[str]) -> None:
    """Delete every finding of the contents ``shas`` (a content scanned again)."""
    db.execute(f"DELETE FROM {PLAIN} WHERE sha256 IN (SELECT unnest(?))", [shas])
    db.execute("DELETE FROM finding_cells WHERE column_id IN (SELECT column_id FROM "
               "finding_columns WHERE sha256 IN (SELECT unnest(?)))", [shas])
    db.execute("DELETE FROM finding_columns WHERE sha256 IN (SELECT unnest(?))", [shas])


def next_column_id(db: duckdb.DuckDBPyConnection) -> int:
    """The first free ``finding_columns.column_id``."""
    return int(db.execute(
        "SELECT coalesce(max(column_id), 0) + 1 FROM finding_columns").fetchone()[0])
