"""The cnn-labs benchmark (``make bench`` = ``python -m bench``): how far ahead is the course?

It races the classic cats-vs-dogs tutorial (Keras 2 style, rebuilt faithfully in Keras 3)
against the course's best from-scratch recipe, Lab 3's modern convnet (``bench.course``), on the
same photos, and times how long each takes to reach a validation accuracy (``bench.race``).
``bench.report`` writes ``bench/results.json``, ``bench/RESULTS.md`` (with the whole course's
seconds and memory from ``solutions/results.json``) and ``bench/time_to_accuracy.png``.
``--quick`` checks the code path in a few minutes and writes to ``build/bench-quick/``, never
over the real results.
"""
