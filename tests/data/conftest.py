"""Fixtures for the data-layer tests: an isolated cache, small mirrors, images, zips, HTTP."""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import os
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from helpers.config import REPO
from helpers.data.registry import Artifact

#: The fetch module (``helpers.data.fetch`` the attribute is the re-exported function).
fetch_module = importlib.import_module("helpers.data.fetch")

#: The real course mirror (read only): the configured one, else ../shared/data beside the repo.
REAL_MIRROR = Path(os.environ.get("CNN_LABS_MIRROR") or REPO.parent / "shared" / "data")


def sha256_bytes(data: bytes) -> str:
    """The sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def toy_artifact(filename: str = "toy.bin", **fields) -> Artifact:
    """A registry entry for tests; any Artifact field can be overridden."""
    values = {
        "name": "toy",
        "filename": filename,
        "url": None,
        "sha256": None,
        "size": None,
        "licence": "CC0",
        "citation": "nobody (2024)",
        "description": "a test file",
    }
    return Artifact(**{**values, **fields})


def write_mirror(folder: Path, files: dict[str, bytes], listed: set[str] | None = None) -> Path:
    """A mirror folder holding ``files`` and a SHA256SUMS listing them (or only ``listed``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    names = files if listed is None else listed
    lines = [f"{sha256_bytes(files[name])}  {name}\n" for name in names]
    (folder / "SHA256SUMS").write_text("".join(lines))
    return folder


def zip_bytes(files: dict[str, bytes], folders: tuple[str, ...] = ()) -> bytes:
    """A zip archive (as bytes) holding ``files`` (member name -> content) and folder entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for folder in folders:
            zipped.writestr(folder.rstrip("/") + "/", b"")
        for name, data in files.items():
            zipped.writestr(name, data)
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (64, 48), seed: int = 0, mode: str = "RGB") -> bytes:
    """A real JPEG of random noise (noise keeps it large enough to truncate meaningfully)."""
    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "L": 1, "CMYK": 4}[mode]
    pixels = rng.integers(0, 256, size=(size[1], size[0], channels), dtype=np.uint8)
    image = Image.fromarray(pixels.squeeze(-1) if channels == 1 else pixels, mode)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def save_image(path: Path, mode: str = "RGB", color=(200, 100, 50), size=(40, 30)) -> Path:
    """Save a plain-colored image (format from the suffix), creating folders as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)
    return path


def make_class_tree(root: Path, counts: dict[str, int], suffix: str = ".jpg") -> Path:
    """A ``root/<class>/<class>.<i><suffix>`` tree of small valid images."""
    for name, count in counts.items():
        for index in range(count):
            save_image(root / name / f"{name}.{index}{suffix}", color=(index * 20 % 256, 80, 160))
    return root


@pytest.fixture
def isolated_data(tmp_path, monkeypatch) -> Path:
    """Point the cache at a temporary folder and unset the mirror, so a test never sees data/.

    Every test module of the data layer uses it: ``pytestmark = usefixtures("isolated_data")``.
    """
    cache = tmp_path / "cache"
    monkeypatch.setenv("CNN_LABS_DATA", str(cache))
    monkeypatch.setenv("CNN_LABS_MIRROR", "")
    monkeypatch.setattr(fetch_module, "TIMEOUT", 10)
    return cache


@pytest.fixture
def make(tmp_path, monkeypatch) -> SimpleNamespace:
    """Builders for test inputs: make.artifact, make.mirror, make.zip, make.jpeg, make.image, ..."""

    def mirror(files: dict[str, bytes], listed: set[str] | None = None) -> Path:
        folder = write_mirror(tmp_path / "mirror", files, listed)
        monkeypatch.setenv("CNN_LABS_MIRROR", str(folder))
        return folder

    return SimpleNamespace(
        artifact=toy_artifact,
        mirror=mirror,
        zip=zip_bytes,
        jpeg=jpeg_bytes,
        image=save_image,
        class_tree=make_class_tree,
        sha256=sha256_bytes,
    )


@pytest.fixture
def shared_mirror(isolated_data, monkeypatch) -> Path:
    """Use the real course mirror (with a temporary cache); skips the test when it is absent."""
    if not (REAL_MIRROR / "SHA256SUMS").is_file():
        pytest.skip(f"course mirror {REAL_MIRROR} absent (set CNN_LABS_MIRROR)")
    monkeypatch.setenv("CNN_LABS_MIRROR", str(REAL_MIRROR))
    return REAL_MIRROR


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that does not log every request to stderr."""

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        pass


@pytest.fixture
def http_folder(tmp_path, monkeypatch):
    """A folder served by a local HTTP server on 127.0.0.1: yields (folder, base URL)."""
    for variable in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
