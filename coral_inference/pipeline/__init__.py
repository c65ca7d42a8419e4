"""run.mode=pipeline: frames from run.source through a backend, results to results.jsonl."""
