"""Benchmarks: ``pathways bench eventstore|workflows|api [--json]``.

Each module has ``main(argv, settings) -> int``. Benchmarks compare workloads measured in the same
run (ratios), never absolute times against fixed thresholds, because the machine is shared.
"""
