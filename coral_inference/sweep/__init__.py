"""Sweep reports: one row per job of a multirun, built from the jobs' runtime_summary.json."""
