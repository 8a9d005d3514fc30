"""Publishing the mart: the atomic swap of the BI file, its kept versions, the Parquet export."""
