"""Fixtures for the data-layer tests: an isolated cache, small mirrors, images, zips, HTTP."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import io
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from helpers.data import registry
from helpers.data.registry import Artifact

#: The downloader (its module, for settings a test changes).
download_module = importlib.import_module("helpers.data.download")


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
    monkeypatch.setattr(download_module, "TIMEOUT", 10)
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
        canonical=canonical_archive,
        manifest=lambda path, names: write_test_manifest(path, names),
    )


@pytest.fixture
def shared_mirror(real_mirror, isolated_data, monkeypatch) -> Path:
    """Use the real course mirror (with a temporary cache); skips the test when it is absent."""
    monkeypatch.setenv("CNN_LABS_MIRROR", str(real_mirror))
    return real_mirror


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


# --- a loopback server that speaks HTTP Range, and can misbehave on purpose ----------------------


@dataclass
class RangeServerState:
    """What the Range server serves, what it was asked, and how it should misbehave."""

    folder: Path
    base_url: str = ""
    #: Every request: {"path", "range", "if_range"}.
    requests: list[dict] = field(default_factory=list)
    #: path -> bytes: the next response for that path sends only this many body bytes, then
    #: the connection is dropped (the announced Content-Length stays the full length).
    cut_after: dict[str, int] = field(default_factory=dict)
    #: True: answer every request with the whole file (200), as servers without Range support do.
    ignore_range: bool = False

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def ranges(self, name: str) -> list[str | None]:
        """The Range header of every request for ``name``, in order."""
        return [r["range"] for r in self.requests if r["path"] == f"/{name}"]


class RangeHandler(BaseHTTPRequestHandler):
    """Serves files of ``server.state.folder`` with ETag, Range/If-Range and 416, like S3 does."""

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        pass

    def do_GET(self):  # noqa: N802 (the base class's naming)
        state: RangeServerState = self.server.state
        requested = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        state.requests.append({"path": self.path, "range": requested, "if_range": if_range})
        path = state.folder / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        etag = f'"{sha256_bytes(data)[:16]}"'
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", requested or "")
        honour = match and not state.ignore_range and if_range in (None, etag)
        if honour:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "none" if state.ignore_range else "bytes")
        self.end_headers()
        cut = state.cut_after.pop(self.path, None)
        self.wfile.write(body if cut is None else body[:cut])
        self.wfile.flush()
        if cut is not None:
            self.close_connection = True


@pytest.fixture
def range_server(tmp_path, monkeypatch):
    """A loopback HTTP server with Range support and a request log: yields its RangeServerState."""
    for variable in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    state = RangeServerState(tmp_path / "www")
    state.folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    server.state = state
    state.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- real chest X-rays, for synthetic archives in the canonical layout ---------------------------


@functools.cache
def real_chest_xrays(source: Path) -> dict[str, bytes]:
    """The course's 1,950 X-rays as {"train/NORMAL/IM-0115-0001.jpeg": bytes}.

    Read from ``source``: the chest_xray_small.zip of the mirror or cache, or the derived
    chest_xray_small/ folder in the cache. Never written to the repository.
    """
    if source.is_dir():
        return {
            str(path.relative_to(source).as_posix()): path.read_bytes()
            for path in sorted(source.rglob("*.jpeg"))
        }
    with zipfile.ZipFile(source) as zipped:
        return {
            info.filename.split("/", 1)[1]: zipped.read(info)
            for info in zipped.infolist()
            if not info.is_dir()
        }


@pytest.fixture
def chest_xrays(course_data) -> dict[str, bytes]:
    """Real X-rays, found as the course finds chest_xray (see real_chest_xrays); else skips."""
    return real_chest_xrays(course_data("chest_xray"))


def canonical_archive(
    images: dict[str, bytes], extra: dict[str, bytes] | None = None, compression=zipfile.ZIP_STORED
) -> bytes:
    """A zip laid out like Mendeley's ChestXRay2017.zip: ``chest_xray/{train,test}/<class>/``.

    ``images`` maps small-set paths (``val/NORMAL/x.jpeg``) to bytes; val/ images go to train/,
    as in the canonical archive. ``extra`` adds members as they are. macOS junk is added too.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zipped:
        zipped.writestr("chest_xray/", b"")
        for relative, data in sorted(images.items()):
            split, class_name, name = relative.split("/")
            split = "train" if split == "val" else split
            zipped.writestr(f"chest_xray/{split}/{class_name}/{name}", data)
            zipped.writestr(f"__MACOSX/chest_xray/{split}/{class_name}/._{name}", b"\0\5\26\7")
        zipped.writestr("chest_xray/train/.DS_Store", b"\0\0\0\1Bud1")
        for member, data in (extra or {}).items():
            zipped.writestr(member, data)
    return buffer.getvalue()


# --- a public source for chest_xray_small, on loopback -------------------------------------------

#: Images per split/class of the handful: val/ images sit in train/ in the canonical archive.
HANDFUL = {
    "train/NORMAL": 2,
    "train/PNEUMONIA": 2,
    "val/NORMAL": 1,
    "val/PNEUMONIA": 1,
    "test/NORMAL": 1,
    "test/PNEUMONIA": 1,
}


def pick_handful(xrays: dict[str, bytes]) -> dict[str, bytes]:
    """The first few images (by name) of each split and class."""
    picked = {}
    for group, count in HANDFUL.items():
        names = sorted(name for name in xrays if name.startswith(group + "/"))
        picked.update({name: xrays[name] for name in names[:count]})
    return picked


def as_large_rgb_original(data: bytes, factor: int = 3) -> bytes:
    """An X-ray as the canonical archive may hold it: bigger, and RGB (283 originals are)."""
    with Image.open(io.BytesIO(data)) as image:
        big = image.convert("RGB").resize((image.width * factor, image.height * factor))
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def write_test_manifest(path: Path, names) -> Path:
    """A manifest listing ``names`` (``split/class/file``) with the committed manifest's recipe."""
    committed = json.loads(registry.ARTIFACTS["chest_xray"].manifest.read_text())
    images = [name.split("/") for name in sorted(names)]
    manifest = {"name": "chest_xray_small", "recipe": committed["recipe"], "images": images}
    path.write_text(json.dumps(manifest, indent=1))
    return path


@pytest.fixture
def xray_source(chest_xrays, range_server, tmp_path, monkeypatch, make) -> SimpleNamespace:
    """A handful of real X-rays served as a canonical ChestXRay2017.zip, and a manifest of them.

    The registry is patched for the test: chest_xray_full's URL points at the loopback server
    and chest_xray derives with the test manifest (``use_manifest`` swaps in another one).
    """
    handful = pick_handful(chest_xrays)
    enlarged = sorted(name for name in handful if name.startswith("train/PNEUMONIA/"))[0]
    in_archive = {**handful, enlarged: as_large_rgb_original(handful[enlarged])}
    unlisted = sorted(set(chest_xrays) - set(handful))[:2]  # other images: left alone
    in_archive.update({name: chest_xrays[name] for name in unlisted})
    archive = canonical_archive(in_archive)
    (range_server.folder / "ChestXRay2017.zip").write_bytes(archive)
    full = registry.ARTIFACTS["chest_xray_full"]
    url = range_server.url("ChestXRay2017.zip")
    monkeypatch.setitem(registry.ARTIFACTS, "chest_xray_full", dataclasses.replace(full, url=url))

    def use_manifest(manifest: Path) -> None:
        changed = dataclasses.replace(registry.ARTIFACTS["chest_xray"], manifest=manifest)
        monkeypatch.setitem(registry.ARTIFACTS, "chest_xray", changed)

    manifest = write_test_manifest(tmp_path / "test_manifest.json", handful)
    use_manifest(manifest)
    return SimpleNamespace(
        handful=handful,
        enlarged=enlarged,
        unlisted=unlisted,
        archive=archive,
        url=url,
        manifest=manifest,
        server=range_server,
        use_manifest=use_manifest,
        write_manifest=write_test_manifest,
    )
