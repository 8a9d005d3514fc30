"""The `ictbench` command line and the driver that runs the benchmark job headless."""
