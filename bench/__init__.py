"""The cnn-labs benchmark (``make bench`` = ``python -m bench``): how far ahead is the course?

It measures, on this machine, the course's cats-vs-dogs pipeline against a faithful Keras 3
rebuild of the classic tutorial it replaces, and writes ``bench/results.json``,
``bench/RESULTS.md`` and ``bench/time_to_accuracy.png``:

1. **Time to accuracy** (``bench.accuracy``) — wall seconds from the start of data preparation
   to the end of the epoch whose validation accuracy first reaches 70 % (and 75 %), classic
   pipeline vs the course's Lab 2, alternating repetitions; median ratio classic/course.
2. **Throughput vs the limit** (``bench.throughput``) — training images/s of the Lab 2 and Lab 3
   models in float32 and mixed bfloat16 (alternating), as a fraction of the CPU's float32 peak
   with FLOPs counted from the layers (``bench.flops``).
3. **The whole course** (``bench.course``) — seconds and peak memory of every lab from the last
   ``make solutions`` (``solutions/results.json``), against the targets.
4. **Input pipeline** (``bench.input_pipeline``) — images/s of decoding JPEGs every epoch vs
   the course's decoded-once arrays, without a model.

The course's recipe (image size, batch size, epochs, learning rate, seed) is read from the
``parameters`` cells of the Lab 2 and Lab 3 solutions (``bench.recipe``), so the benchmark follows
the labs. ``python -m bench --quick`` runs everything tiny, for development (results go to
``build/bench-quick/``, never over the real ones).

Modules, one concern each: ``settings`` (full and quick presets), ``recipe``, ``models``,
``pipelines`` (the two data pipelines), ``timing`` (clocks as Keras callbacks), ``stats``
(medians, ratios, censored runs), ``flops``, ``machine``, ``accuracy``, ``throughput``,
``input_pipeline``, ``course``, ``figure``, ``report``, ``runner`` (runs the parts in order).
"""
