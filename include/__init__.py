"""Python code the Airflow DAGs call: contract, loading, generator, warehouse, CLI."""
