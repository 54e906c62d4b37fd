"""The benchmark suite behind `boxoffice bench` / `make bench` (see docs/benchmarks.md)."""
