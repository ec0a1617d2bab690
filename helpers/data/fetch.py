"""``locate``: where each artifact comes from; ``fetch``: its verified local path.

``locate`` decides for ``fetch`` and ``python -m helpers.data info`` alike: a verified file in
the cache (``$CNN_LABS_DATA``) unless the mirror (``$CNN_LABS_MIRROR``) lists other bytes under
its name, else the mirror, else a derivation from its public source (``helpers.data.derive``),
else the internet (``helpers.data.download``). Verification, atomic writes: ``helpers.data.store``.
"""

from __future__ import annotations

from pathlib import Path

from helpers.config import data_dir
from helpers.data import store
from helpers.data.derive import derive, load_manifest
from helpers.data.download import download
from helpers.data.errors import DataError
from helpers.data.registry import Artifact, get_artifact

__all__ = ["fetch", "locate", "source_of"]


def locate(artifact: Artifact) -> store.Source:
    """Decide where ``artifact`` comes from, without copying or downloading anything.

    A cached file with a sidecar (or, without one, the registry's sha256) wins unless the mirror
    lists other bytes under its name: then the mirror's copy replaces it (e.g. the mirror's rebuilt
    MNIST over a downloaded canonical one). ``fetch`` re-hashes a cached file before using it.
    """
    target = data_dir() / artifact.filename
    copy = store.find_in_mirror(artifact)
    recorded = store.recorded_hash(artifact, target)
    if recorded is not None and (copy is None or recorded == copy.sha256):
        return store.Source("cache", target)
    if copy is not None:
        return copy
    if artifact.derived_from is not None:
        folder = data_dir() / str(artifact.extract_to)
        if store.read_marker(folder) == load_manifest(artifact.manifest).marker:
            return store.Source("derived", folder)
        return store.Source("derive")
    return store.Source("download" if artifact.url else "missing")


def source_of(artifact: str | Artifact) -> str:
    """Where an artifact would come from now: "cache", "mirror", "download", "derive", "missing"."""
    kind = locate(artifact if isinstance(artifact, Artifact) else get_artifact(artifact)).kind
    return "cache" if kind == "derived" else kind


def obtain(artifact: Artifact, found: store.Source, progress: bool) -> tuple[Path, str, str]:
    """The verified cached file, its sha256 and where it came from: cache, mirror or download."""
    for stem in filter(None, (artifact.filename, artifact.extract_to)):
        store.remove_stale_temporaries(store.cache_folder(), stem)
    path = store.cache_folder() / artifact.filename
    digest = store.verified_cache_hash(path) if found.kind == "cache" else None
    if digest is not None:
        return path, digest, "cache"
    if found.kind == "cache":
        found = locate(artifact)  # the corrupted copy is gone: decide again
    if found.kind == "mirror":
        return path, store.copy_from_mirror(artifact, found, path, progress), "mirror"
    return path, download(artifact, path, progress), "download"


def fetch(name: str | Artifact, *, progress: bool = True) -> Path:
    """The verified local path of an artifact: the file, or for zips the extracted folder.

    ``name`` is a registry name (see ``ARTIFACTS``) or an Artifact. ``chest_xray`` is derived from
    its public source when neither the mirror nor the cache has it (``helpers.data.derive``).
    """
    artifact = name if isinstance(name, Artifact) else get_artifact(name)
    found = locate(artifact)
    if found.kind == "derived":
        return found.path
    if found.kind == "derive":
        source = get_artifact(str(artifact.derived_from))
        where = locate(source)
        store.say(
            f"{artifact.name}: in no mirror or cache: deriving it from {source.name}", progress
        )
        try:
            if where.kind == "mirror":  # read in place, not copied
                archive, digest, obtained = where.path, store.sha256_of(where.path), "mirror"
                store.check_mirror_copy(where, digest, "nothing was derived")
            else:
                archive, digest, obtained = obtain(source, where, progress)
        except DataError as error:
            raise DataError(
                f"{artifact.name} has no download of its own and is derived from {source.name} "
                f"({source.filename}), but getting that failed: {error}"
            ) from error
        return derive(artifact, archive, digest, obtained, progress)
    path, digest, _ = obtain(artifact, found, progress)
    if artifact.is_archive:
        return store.extract_archive(artifact, path, digest, progress)
    return path
