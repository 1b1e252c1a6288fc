"""The tau-bench conversation benchmark's parts: the scripted customer, the recording transport,
the gold replay and the scoring (run by ``benchmarks/taubench.py``)."""
