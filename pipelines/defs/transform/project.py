from dagster_dbt import DbtProject

from pipelines.settings import DBT_PROJECT_DIR

# The manifest is prepared once (`make manifest`, `ictbench run`), never per step process.
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
