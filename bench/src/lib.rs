//! Yici against its peers; see `docs/benchmarks.md`.
