"""What the benchmarks share (imported by the scripts in benchmarks/, which run by path: ``python
benchmarks/bench_metalevel.py``; ``benchmarks/`` is then on ``sys.path`` and this package imports as ``harness``).

* ``cli``: the shared argument parser (``--metadataset``, ``--out-dir``, ``--tasks``, ...: one definition each)
  and the command line a result file quotes;
* ``heldout``: the held-out groups (``select``, ``HeldOut``: a meta-model per fold trained without the fold's
  groups, cached), the corpus tasks, the meta-dataset store;
* ``incumbents``: the anytime benchmark's held-out rows (the incumbent after n trials refit and tested);
* ``peers``: the end-to-end peers (FLAML, AutoGluon, scikit-learn defaults, the zero-shot pick) behind one
  ``make_method``; ``autogluon_runner.py`` is the script AutoGluon's own interpreter runs;
* ``stats``: bootstrap intervals and paired win/level/loss counts;
* ``machine``: the date and machine stamp of every result;
* ``synthetic``: seeded mixed tables for the benchmarks that need no corpus.
"""
