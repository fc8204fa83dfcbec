"""The pure core: the metrics engine, Erlang C, per-partition state, record processing and
the settings it reads. No Kafka, Faust, HTTP, Dash or Prometheus client imports (enforced by
the import-linter contracts in pyproject.toml)."""
