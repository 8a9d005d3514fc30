# Two commands on a fresh machine: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False

.PHONY: install install-spark run test test-scale-out dev demo-data manifest report docs lint format bench clean screenshots

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(INSTALLED)

install: $(INSTALLED)

# dbt-spark and pyspark, for `dbt build --target spark` and tests/test_spark_parity.py (docs/spark.md).
# A virtualenv of its own: with pyspark importable, Great Expectations imports pyspark.sql.connect,
# which calls sys.exit(0) in a process started without a main file, such as the ingest's fork server.
SPARK_VENV := .venv-spark
SPARK_INSTALLED := $(SPARK_VENV)/.installed
$(SPARK_INSTALLED): pyproject.toml
	@command -v java >/dev/null || { echo "Spark needs Java: apt-get install openjdk-17-jre-headless"; exit 1; }
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SPARK_VENV)/bin/python -m pip install --quiet $$($(PYTHON) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["spark"]))')
	@touch $(SPARK_INSTALLED)

install-spark: $(SPARK_INSTALLED)

manifest: $(INSTALLED)
	$(BIN)/dbt parse --project-dir dbt_project --profiles-dir dbt_project --quiet

# exit code 3 is "published, with refusals": listed on screen, not a failure of `make run`
run: $(INSTALLED)
	$(BIN)/ictbench run || [ $$? -eq 3 ]

# two workers for the two cores; a test module stays on one worker, so its fixtures run once,
# and the longest modules start first (tests/conftest.py), not the ones with the most tests.
# The Spark parity and PostgreSQL tests skip, saying why, without Java or PostgreSQL's server
test: $(INSTALLED)
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder

# only the tests of the scale-out path (docs/scale-out.md): dbt on Spark, the run history on PostgreSQL
test-scale-out: install-spark
	$(BIN)/pytest -m 'spark or postgres'

# the UI of the warehouse's own Dagster instance (warehouse/dagster/: its runs, schedules, sensors)
dev: manifest
	DAGSTER_HOME="$$($(BIN)/ictbench dagster-home)" $(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

docs: $(INSTALLED)
	test -f warehouse/build/benchmark.duckdb || $(BIN)/ictbench run
	$(BIN)/dbt docs generate --project-dir dbt_project --profiles-dir dbt_project --vars '{warehouse_dir: $(CURDIR)/warehouse}' --static
	@echo "Open dbt_project/target/static_index.html (one file, no server needed)"

report: $(INSTALLED)
	$(BIN)/ictbench report

# docs/screenshots/*.png for the README: needs headless Chromium (apt-get install chromium)
screenshots: $(INSTALLED)
	test -f warehouse/benchmark.duckdb || $(BIN)/ictbench run
	$(BIN)/ictbench report
	$(BIN)/python scripts/screenshots.py

demo-data: $(INSTALLED)
	$(BIN)/ictbench demo-data

SF ?= 1
YEARS ?= 1
# side-by-side national-scale benchmark over 1, 5 and YEARS fiscal years kept (up to YEARS);
# DATA=DIR measures an existing drop zone instead of generated data.
# Writes bench/results/<date>-sf<SF>-<YEARS>y.md and .json
BENCH_YEARS = $(shell echo 1 5 10 | tr ' ' '\n' | awk '$$1 < $(YEARS)' | tr '\n' ,)$(YEARS)
bench: $(INSTALLED)
	$(BIN)/python -m bench.run_bench --scale $(SF) --years $(BENCH_YEARS) $(if $(DATA),--existing $(DATA))

lint: $(INSTALLED)
	$(BIN)/ruff check pipelines tests bench
	$(BIN)/ruff format --check pipelines tests bench

format: $(INSTALLED)
	$(BIN)/ruff format pipelines tests bench
	$(BIN)/ruff check --fix pipelines tests bench

clean:
	rm -rf warehouse dbt_project/target dbt_project/logs .pytest_cache
