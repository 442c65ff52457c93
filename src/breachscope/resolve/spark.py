"""Splink's Spark backend for the probabilistic linkage (``--linkage-backend spark``).

The same model as the DuckDB path (:mod:`breachscope.resolve.linkage`: comparisons, blocking
rules, term frequencies, prior, threshold), scored by Splink's ``SparkAPI`` instead of
``DuckDBAPI``: for cases whose candidate pairs outgrow one machine's DuckDB. The records are
prepared and collapsed in the case store as for DuckDB, the prior and the term frequencies
are computed by DuckDB on the collapsed records, and only the scoring runs in Spark.

The session is local (``local[2]`` by default, :data:`MASTER_ENV` to change it): no web UI,
driver bound to 127.0.0.1 (Spark's driver and its Python bridge talk over loopback sockets;
nothing listens on another interface), no package fetched (Splink's similarity functions come
from the jar shipped inside the Splink wheel), Spark's scratch files (shuffle, persisted
tables) in the case's ``spill/linkage-spark`` and encrypted (``spark.io.encryption``), since
they hold names and NIRs. DuckDB's spill cap (:mod:`breachscope.resolve.spill`) does not
apply to Spark's scratch files.

The comparison SQL is written in DuckDB's dialect; :func:`spark_sql` rewrites the few DuckDB
idioms it uses (string slices, list functions, ``regexp_replace``'s ``'g'``, ``HUGEINT``,
Jaro-Winkler's name). It is a rewrite of our own fixed strings, not a general translator
(sqlglot's DuckDB-to-Spark transpilation leaves string slices and ``len`` of a list wrong);
``tests/resolve/test_linkage_spark.py`` checks that both backends find the same pairs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

#: Spark master URL for the linkage session (default ``local[2]``: this machine, two threads).
MASTER_ENV = "BREACHSCOPE_SPARK_MASTER"
#: Heap of Spark's JVM (driver and, in local mode, executors).
DRIVER_MEMORY_ENV = "BREACHSCOPE_SPARK_MEMORY"

_SLICE_INT = re.compile(r"([\w.]+)\[(\d+):(\d+)\]::INT")
_SLICE = re.compile(r"([\w.]+)\[(\d+):(\d+)\]")
_INDEX = re.compile(r"([\w.]+)\[(\d+)\]")
_REGEXP_G = re.compile(r"regexp_replace\(([^()]*(?:\([^()]*\))?[^()]*?), '([^']*)', "
                       r"'([^']*)', 'g'\)")


def spark_sql(sql: str) -> str:
    """A comparison or blocking condition of :mod:`breachscope.resolve.linkage` (DuckDB SQL)
    in Spark SQL. Strings are 1-indexed in both; DuckDB's ``s[a:b]`` is ``substring(s, a,
    b - a + 1)``, ``s[i]`` one character."""
    sql = _SLICE_INT.sub(lambda m: f"CAST(substring({m[1]}, {m[2]}, "
                                   f"{int(m[3]) - int(m[2]) + 1}) AS INT)", sql)
    sql = _SLICE.sub(lambda m: f"substring({m[1]}, {m[2]}, {int(m[3]) - int(m[2]) + 1})", sql)
    sql = _INDEX.sub(lambda m: f"substring({m[1]}, {m[2]}, 1)", sql)
    sql = _REGEXP_G.sub(r"regexp_replace(\1, '\2', '\3')", sql)  # Spark replaces every match
    sql = sql.replace("list_intersect(", "array_intersect(")
    sql = re.sub(r"\blen\(", "size(", sql)
    sql = sql.replace("jaro_winkler_similarity(", "jaro_winkler(")
    sql = sql.replace("AS HUGEINT)", "AS DECIMAL(38, 0))")
    return sql


def spark_settings(settings: dict) -> dict:
    """Splink settings (:func:`breachscope.resolve.linkage.settings`) with every condition in
    Spark SQL."""
    out = dict(settings)
    out["comparisons"] = [
        {**c, "comparison_levels": [
            {**level, "sql_condition": spark_sql(level["sql_condition"])}
            for level in c["comparison_levels"]]}
        for c in settings["comparisons"]]
    out["blocking_rules_to_generate_predictions"] = [
        {**rule, "blocking_rule": spark_sql(rule["blocking_rule"])}
        for rule in settings["blocking_rules_to_generate_predictions"]]
    return out


def available() -> bool:
    """pyspark importable and a ``java`` on the PATH (or JAVA_HOME set)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return bool(os.environ.get("JAVA_HOME") or shutil.which("java"))


_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


@contextlib.contextmanager
def session(scratch: Path, memory: str | None = None) -> Iterator[object]:
    """A local SparkSession for one linkage, stopped afterwards. ``scratch``: Spark's local
    directory (shuffle and persisted blocks, encrypted), inside the case."""
    from pyspark import SparkConf
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    scratch.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # The JVM logs from its start, before setLogLevel below can quiet it: its own log4j2
    # configuration (errors only, on stderr) keeps its WARN lines (the local directory, I/O
    # encryption without RPC encryption — the RPC is loopback only) off the user's console.
    logging_conf = scratch / "log4j2.properties"
    logging_conf.write_text(_LOG4J2, encoding="utf-8")
    conf = (SparkConf()
            .setMaster(os.environ.get(MASTER_ENV) or "local[2]")
            .setAppName("breachscope-linkage")
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
            .set("spark.driver.host", "127.0.0.1")
            .set("spark.driver.bindAddress", "127.0.0.1")
            .set("spark.local.dir", str(scratch))
            .set("spark.sql.warehouse.dir", str(scratch / "warehouse"))
            .set("spark.io.encryption.enabled", "true")
            .set("spark.sql.shuffle.partitions", "4")
            .set("spark.default.parallelism", "4")
            .set("spark.sql.ansi.enabled", "false")   # as DuckDB: a bad cast is NULL
            .set("spark.driver.memory", memory or os.environ.get(DRIVER_MEMORY_ENV) or "2g")
            .set("spark.jars", similarity_jar_location())
            .set("spark.jars.ivy", str(scratch / "ivy"))
            .set("spark.driver.extraJavaOptions",
                 f"-Dlog4j2.configurationFile={logging_conf.as_uri()}"))
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        global last_jvm_peak_mib
        last_jvm_peak_mib = _jvm_peak_mib(spark)
        spark.stop()


#: Peak resident memory of the last session's JVM (MiB; 0 when unknown), for the bench.
last_jvm_peak_mib = 0.0


def _jvm_peak_mib(spark) -> float:
    """``VmHWM`` of the JVM that pyspark launched (a child process: the Python process's
    own peak does not include it)."""
    try:
        pid = spark.sparkContext._gateway.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (AttributeError, OSError, ValueError):
        pass
    return 0.0


def _distributed(spark, table):
    """An Arrow table as a Spark DataFrame backed by blocks, not by the query plan: a
    DataFrame made by ``createDataFrame`` is a ``LocalRelation`` whose rows the optimizer
    (``ConvertToLocalRelation``) re-projects on the driver for every query built on it
    (jstack at 104 689 records: the driver's heap full, 4.5 GB, in that rule)."""
    return spark.createDataFrame(table).localCheckpoint(eager=True)


def score(con: duckdb.DuckDBPyConnection, records, settings: dict, frequencies: dict,
          threshold: float, scratch: Path):
    """Splink on Spark: ``records`` (Arrow, the collapsed input), ``settings`` (DuckDB
    dialect), ``frequencies`` (column -> Arrow term-frequency table) computed on ``con``.
    Returns the number of candidate pairs and the pairs at or above ``threshold`` as an Arrow
    table ``(l, r, p)``."""
    import pyarrow as pa
    from splink import Linker, SparkAPI

    from breachscope.offline import loopback_only

    # The scan forbade the network in this process; Py4J reaches the JVM on loopback only.
    with loopback_only(), session(scratch) as spark:
        api = SparkAPI(spark_session=spark, break_lineage_method="persist",
                       num_partitions_on_repartition=4)
        sdf = api.register(_distributed(spark, records), table_name="bs_records")
        linker = Linker(sdf, spark_settings(settings), log_level=logging.WARNING)
        for column, table in frequencies.items():
            linker.table_management.register_term_frequency_lookup(
                api.register(_distributed(spark, table), table_name=f"bs_tf_{column}"),
                column)
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        candidates = blocked.as_spark_dataframe().count()
        pairs = linker.inference.predict(threshold_match_probability=threshold)
        out = pairs.as_spark_dataframe().selectExpr(
            "CAST(unique_id_l AS BIGINT) AS l", "CAST(unique_id_r AS BIGINT) AS r",
            "CAST(match_probability AS DOUBLE) AS p")
        if hasattr(out, "toArrow"):   # Spark 4
            table = out.toArrow()
        else:
            rows = out.collect()
            table = pa.table({"l": pa.array([r[0] for r in rows], pa.int64()),
                              "r": pa.array([r[1] for r in rows], pa.int64()),
                              "p": pa.array([r[2] for r in rows], pa.float64())})
    return candidates, table
