"""The dbt project from Python: the manifest, the build state, which models a run builds, dbt started ahead."""
