"""Benchmarks of Fihris against naive Whoosh baselines measured in the same run (`make bench`)."""
