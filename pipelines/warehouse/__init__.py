"""Files the pipeline writes under warehouse/: landing, quarantine, load results, the published mart."""
