"""Benchmarks of the station kiosk: ``python -m bench startup|issue|memory|all``.

Every figure is printed as one JSON object per line on stdout and is measured
next to a baseline taken in the same run (the machine is shared and noisy), so
each figure comes with its ratio to that baseline. Nothing here asserts on
timings: the benchmarks only report.

This package is imported at the top of every measured child process (see
bench/driver.py), so it must stay free of imports.
"""
