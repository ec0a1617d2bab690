"""The course's Jupyter kernel "cnn-labs": register it for this environment, and check it.

Every notebook names the kernel "cnn-labs", and papermill, nbval and JupyterLab start whatever
interpreter that kernelspec's ``argv[0]`` names. If it names another Python, the notebooks run
with the wrong packages (or none) without any error pointing at the cause; ``check`` catches it.

Usage::

    python -m tools.kernel install   # register "cnn-labs" for this interpreter (make env does it)
    python -m tools.kernel check     # exit 1 if "cnn-labs" is missing or starts another Python
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ipykernel.kernelspec import install as install_kernelspec
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

KERNEL_NAME = "cnn-labs"
DISPLAY_NAME = "Python 3 (cnn-labs)"

#: The ``kernelspec`` metadata every course notebook carries (``tools.notebooks`` writes it).
KERNELSPEC = {"name": KERNEL_NAME, "display_name": DISPLAY_NAME, "language": "python"}


def install(prefix: str = sys.prefix) -> str:
    """Register the kernel for the running interpreter under ``prefix``; return its folder."""
    return install_kernelspec(kernel_name=KERNEL_NAME, display_name=DISPLAY_NAME, prefix=prefix)


def prefix_kernel_dir(prefix: str = sys.prefix) -> Path:
    """Where ``install`` puts the kernelspec for an environment."""
    return Path(prefix, "share", "jupyter", "kernels", KERNEL_NAME)


def same_environment(path: str, executable: str = sys.executable) -> bool:
    """True when ``path`` starts the same Python environment as ``executable``.

    Comparing resolved files alone is not enough: a virtual environment's ``bin/python`` is a
    symlink to the base interpreter, which resolves to the same file but has none of the
    environment's packages. So the resolved folders that hold the two must agree as well.
    """
    same_file = os.path.realpath(path) == os.path.realpath(executable)
    same_folder = os.path.realpath(os.path.dirname(path)) == os.path.realpath(
        os.path.dirname(executable)
    )
    return same_file and same_folder


def how_to_fix(resource_dir: str, prefix: str = sys.prefix) -> str:
    """What to do about a bad kernelspec, depending on whether it is this environment's own."""
    if os.path.realpath(resource_dir) == os.path.realpath(prefix_kernel_dir(prefix)):
        return "run `make env` to register the kernel for this environment"
    return (
        f"delete the folder {resource_dir} (it hides this environment's kernel), "
        "then run `make env`"
    )


def kernel_problems(
    manager: KernelSpecManager | None = None,
    executable: str = sys.executable,
    prefix: str = sys.prefix,
) -> list[str]:
    """Why the "cnn-labs" kernel Jupyter would start is not this interpreter (empty if it is)."""
    manager = manager or KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return [
            f"no Jupyter kernel named {KERNEL_NAME!r} is registered (searched "
            f"{', '.join(manager.kernel_dirs)}); run `make env` to register it"
        ]
    spec_file = os.path.join(spec.resource_dir, "kernel.json")
    argv0 = spec.argv[0] if spec.argv else ""
    if not os.path.isfile(argv0):
        return [
            f"the {KERNEL_NAME!r} kernel ({spec_file}) starts {argv0!r}, which does not exist; "
            + how_to_fix(spec.resource_dir, prefix)
        ]
    if not same_environment(argv0, executable):
        return [
            f"the {KERNEL_NAME!r} kernel ({spec_file}) starts {argv0}, not this environment's "
            f"Python {executable}, so notebooks would run with the wrong packages; "
            + how_to_fix(spec.resource_dir, prefix)
        ]
    return []


def kernel_warnings(
    manager: KernelSpecManager | None = None, prefix: str = sys.prefix
) -> list[str]:
    """A warning when a "cnn-labs" kernelspec elsewhere hides this environment's own one."""
    manager = manager or KernelSpecManager()
    found = [
        os.path.realpath(os.path.join(folder, KERNEL_NAME))
        for folder in manager.kernel_dirs
        if os.path.isfile(os.path.join(folder, KERNEL_NAME, "kernel.json"))
    ]
    own = os.path.realpath(prefix_kernel_dir(prefix))
    if own in found and found[0] != own:
        return [
            f"the {KERNEL_NAME!r} kernelspec in {found[0]} hides this environment's {own}: "
            "Jupyter uses the first one it finds; delete the other folder unless you mean it"
        ]
    return []


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: install or check."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.kernel",
        description=f"Register or check the course's Jupyter kernel {KERNEL_NAME!r}.",
    )
    parser.add_argument(
        "command",
        choices=["install", "check"],
        help=f"install: register {KERNEL_NAME!r} to start this interpreter ({sys.executable}); "
        f"check: exit 1 unless {KERNEL_NAME!r} starts this interpreter",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    if parse_args(argv).command == "install":
        folder = install()
        print(f"registered the Jupyter kernel {KERNEL_NAME!r} for {sys.executable} in {folder}")
        return 0
    for warning in kernel_warnings():
        print(f"warning: {warning}", file=sys.stderr)
    problems = kernel_problems()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"OK: the Jupyter kernel {KERNEL_NAME!r} starts {sys.executable}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
