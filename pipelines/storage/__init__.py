"""Files the pipeline writes under warehouse/: atomic writes, the writer lock, the DuckDB storage format."""
