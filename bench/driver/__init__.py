"""bench/run.py's workloads: one module each, sharing driver.common."""
