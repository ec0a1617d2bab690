"""Grade a class's submitted notebooks into a gradebook, with no server and nothing to set up.

Input: ``DIR/<student>/<lab>.ipynb``, one folder per student, labs under the course's names.
Output: ``DIR/gradebook.csv`` (``student,lab,checkpoint,status,detail``), ``DIR/gradebook.html``
and a per-lab summary on stdout. Usage::

    python -m tools.grade DIR                      # smoke settings, 600 s per notebook
    python -m tools.grade DIR --settings full --timeout 3600
    python -m tools.grade DIR --labs 01_mnist_convnet

How a submission is graded:

* **The course's own checks, always.** The student's answers are taken out of their notebook and
  put into the course's pristine student notebook (``notebooks/<lab>.ipynb``) in place of the
  exercise stubs; that notebook is what runs. Cells are matched by their cell id (Jupyter keeps
  it), else by their text. In an exercise cell, the lines of the original around each stub are
  anchors: whatever the student wrote between them is the answer. Any change to a given cell, a
  checkpoint cell or the given lines of an exercise cell, a deleted cell, or an added code cell is
  reported in ``detail`` and otherwise ignored: the original runs, added cells do not.
* **Isolation.** Each notebook runs in a process of its own (``python -m tools.grade --worker``,
  which runs papermill on the kernel "cnn-labs"), in a build folder of its own
  (``build/grade/<student>/<lab>/``: the run's models, results, temporary files and the executed
  notebook). Every process of the run carries a token in its environment; on the time-out, or when
  the executed notebook grows beyond ``MAX_OUTPUT_BYTES``, every process carrying it (the worker,
  the kernel, which Jupyter starts in a session of its own, and the kernel's children) is killed.
  Downloads are refused (the proxy variables point nowhere) and the data must be present first.
* **Statuses**, per checkpoint (``# Checkpoint N`` and its ``continued`` cells): ``pass`` (every
  check printed PASS), ``fail`` (a check printed FAIL), ``error`` (its cell, or a cell after the
  previous checkpoint, raised), ``timeout``, ``not-run`` (the run stopped before it), ``missing``
  (no notebook for the lab). Like "Run All", a run stops at the first error or failed checkpoint.

The package, one concern a module:

* ``course``: the course's notebooks (checkpoints, stubs, how a message names a cell, the labs).
* ``extract``: taking the answers out of a submission, and what else the student changed.
* ``isolate``: running one notebook in a worker process of its own, and killing all of it.
* ``outcome``: the status of each checkpoint, read from an executed notebook.
* ``classroom``: grading every student's labs, with progress.
* ``gradebook``: the gradebook's rows, CSV, summary and HTML page.
* ``cli``: the command line (``python -m tools.grade``) and the checks that grading can run.
"""


class GradingError(RuntimeError):
    """Grading itself cannot run (no data, no kernel, no such folder)."""
