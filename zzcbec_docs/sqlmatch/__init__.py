"""免申即享 at scale: the policy compiled to SQL (compiler), run by DuckDB, PostgreSQL or Spark SQL."""
