"""The cnn-labs benchmark (``make bench`` = ``python -m bench``): how far ahead is the course?

It races the classic cats-vs-dogs tutorial (Keras 2 style, rebuilt faithfully in Keras 3)
against the course's Lab 2 on the same photos, and times how long each takes to reach a
validation accuracy (``bench.race``). ``bench.report`` writes ``bench/results.json``,
``bench/RESULTS.md`` (with the whole course's seconds and memory from
``solutions/results.json``) and ``bench/time_to_accuracy.png``. ``--quick`` checks the code
path in a minute or two and writes to ``build/bench-quick/``, never over the real results.
"""
