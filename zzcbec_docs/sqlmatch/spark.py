"""`zzcbec match TABLE --engine spark`: the compiled policy as Spark SQL (pyspark; `local[2]` here).

DuckDB reads the file and numbers its rows; the rows go to Spark as Parquet, Spark checks, types
and decides them with the query the compiler wrote in Spark's dialect, and the decisions come
back as Parquet for DuckDB to write the outputs, as for the other engines. On a cluster, set
ZZCBEC_SPARK_MASTER (and the usual SPARK_* settings); the default is `local[2]`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.sqlmatch import compiler as C
from zzcbec_docs.sqlmatch.run import (
    Backend,
    DuckBackend,
    SqlOptions,
    decide_in,
    eligible_rows_sql,
    run_sql_table,
)

_SESSION: Any = None


def session() -> Any:
    """One Spark session per process (a JVM takes seconds to start)."""
    global _SESSION
    if _SESSION is None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise ArgumentError(
                "--engine spark 需要 pyspark：pip install 'zzcbec-docs[spark]'（及 Java 17）",
                "--engine spark needs pyspark: pip install 'zzcbec-docs[spark]' (and Java 17)",
            ) from None
        master = os.environ.get("ZZCBEC_SPARK_MASTER", "local[2]")
        _SESSION = (
            SparkSession.builder.master(master)
            .appName("zzcbec-match")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")  # the clauses are long expressions: interpreted
            .config("spark.sql.constraintPropagation.enabled", "false")  # exponential on long CASE chains
            .getOrCreate()
        )
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def stop() -> None:
    """End the process's Spark session (and its JVM's work); the next `session()` starts another."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


_TYPES = {
    "VARCHAR": "STRING",
    "BIGINT": "BIGINT",
    "INTEGER": "INT",
    "BOOLEAN": "BOOLEAN",
    "DECIMAL(18,2)": "DECIMAL(18,2)",
}


class SparkBackend(Backend):
    def __init__(self, spark: Any) -> None:
        super().__init__("spark")
        self.spark = spark

    def create(self, name: str, select: str) -> None:
        df = self.spark.sql(select).localCheckpoint(eager=True)
        df.createOrReplaceTempView(name)

    def rows(self, select: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.spark.sql(select).collect()]

    def insert(self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        schema = ", ".join(f"{c} {_TYPES.get(self.t(k), self.t(k))}" for c, k in columns)
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(name)

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)


class SparkRemote:
    name = "table"

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.spark = session()
        self.db = SparkBackend(self.spark)

    def decide(self, con: Any, src: Any, fields: dict[str, str], options: SqlOptions, work: Path) -> Backend:
        shipped = work / "src.parquet"
        con.execute(f"COPY src TO '{shipped}' (FORMAT parquet)")
        con.execute("DROP TABLE src")
        self.spark.read.parquet(str(shipped)).createOrReplaceTempView("src")
        decide_in(self.db, src, self.policy, fields, options)
        w = work / "w.parquet"
        self.spark.sql("SELECT * FROM w").write.mode("overwrite").parquet(str(w))
        con.execute(f"CREATE OR REPLACE TABLE w AS SELECT * FROM read_parquet('{w}/*.parquet') ORDER BY _row")
        r = work / "raw.parquet"
        cols = ", ".join(C.raw(c.field) for c in src.columns)
        self.spark.sql(f"SELECT _row, {cols} FROM raw WHERE _row IN ({eligible_rows_sql(self.policy)})").write.mode(
            "overwrite"
        ).parquet(str(r))
        con.execute(f"CREATE OR REPLACE TABLE raw AS SELECT * FROM read_parquet('{r}/*.parquet')")
        for name in ("raw", "w", "t", "dup", "bad", "excl", "src"):
            self.spark.catalog.dropTempView(name)
        return DuckBackend(con)

    def commit(self, summary: Any) -> None:
        pass

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


def run_spark_table(path: Path, policy: Policy, options: SqlOptions, progress: Any = None) -> Any:
    if options.out_dir is None:
        raise ArgumentError("--engine spark 须用 --out DIR", "--engine spark needs --out DIR")
    return run_sql_table(path, policy, options, progress, remote=SparkRemote(policy))
