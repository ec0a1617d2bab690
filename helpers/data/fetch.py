"""Where each artifact comes from, and ``fetch``: the verified local path of any of them.

``locate`` decides, for ``fetch``, the plan and ``info`` alike, in this order: the mirror
(``$CNN_LABS_MIRROR``, verified against its ``SHA256SUMS``) and the cache (``$CNN_LABS_DATA``,
default ``<repo>/data``, verified against the sidecar written when a file was checked) — a cached
file is used unless the mirror lists other bytes under its name —, then the internet (a resumable
download, see ``helpers.data.download``). An artifact without a public download of its own (the
chest X-ray subset) is derived from its public source: see ``helpers.data.derive``. How files are
verified and written atomically: ``helpers.data.store``.
"""

from __future__ import annotations

from pathlib import Path

from helpers.config import data_dir
from helpers.data.derive import derived_marker, fetch_derived, load_manifest
from helpers.data.download import download
from helpers.data.errors import DataError
from helpers.data.registry import ARTIFACTS, Artifact, get_artifact
from helpers.data.store import (
    Source,
    adopt_unrecorded,
    cache_folder,
    copy_from_mirror,
    derive_only_note,
    extract_archive,
    find_in_mirror,
    read_marker,
    read_sidecar,
    remove_stale_temporaries,
    verified_cache_hash,
)

__all__ = ["cached_info", "fetch", "locate", "source_of"]


def resolve(name: str | Artifact) -> Artifact:
    """An Artifact from its registry name (or the Artifact itself)."""
    return name if isinstance(name, Artifact) else get_artifact(name)


def fetch_file(
    artifact: Artifact, progress: bool = True, source: Source | None = None
) -> tuple[Path, str]:
    """The verified cached file of an artifact and its sha256, from ``source`` (or ``locate``)."""
    folder = cache_folder()
    for stem in filter(None, (artifact.filename, artifact.extract_to)):
        remove_stale_temporaries(folder, stem)
    target = folder / artifact.filename
    source = source or locate(artifact)
    if source.kind == "cache":
        digest = verified_cache_hash(target)
        if digest is not None:
            return target, digest
        source = locate(artifact)  # the corrupted copy is gone: decide again
    if source.mirror is not None:
        return target, copy_from_mirror(artifact, source.mirror, target, progress)
    return target, download(artifact, target, progress)


def fetch(
    name: str | Artifact,
    *,
    extract: bool | None = None,
    progress: bool = True,
    keep_source: bool | None = None,
) -> Path:
    """The verified local path of an artifact: the file, or for zips the extracted folder.

    ``name`` is a registry name (see ``ARTIFACTS``) or an Artifact. Zips are extracted unless
    ``extract=False``; the returned folder holds the zip's content (e.g. ``train/``).

    An artifact with no public download of its own (``chest_xray``) is derived from its public
    source when neither the mirror nor the cache has its file (see ``helpers.data.derive``);
    ``keep_source`` keeps the downloaded source archive afterwards (default:
    ``$CNN_LABS_KEEP_SOURCE``).
    """
    artifact = resolve(name)
    if extract and not artifact.is_archive:
        raise DataError(f"{artifact.filename} is not a zip archive: there is nothing to extract.")
    found = locate(artifact)
    if found.kind in ("derive", "derived"):
        if extract is False:
            raise DataError(
                f"{artifact.filename} has no public download and is not in the mirror or cache: "
                f"the course derives the folder {artifact.extract_to}/ instead. Fetch "
                f"{artifact.name} without --no-extract (extract=False)."
            )
        assert artifact.derivation is not None
        source = get_artifact(artifact.derivation.source)
        return fetch_derived(artifact, source, locate(source), progress, keep_source)
    path, digest = fetch_file(artifact, progress, found)
    derive_only_note(path).unlink(missing_ok=True)  # asked for by name: no longer derive-only
    if artifact.is_archive and extract is not False:
        return extract_archive(artifact, path, digest, progress)
    return path


def derived_folder(artifact: Artifact) -> Path | None:
    """The cache folder of a derived artifact when it is there and current, else None."""
    if artifact.derivation is None or artifact.extract_to is None:
        return None
    folder = data_dir() / artifact.extract_to
    marker = read_marker(folder)
    if marker is None or not marker.startswith("derived"):
        return None
    return folder if marker == derived_marker(load_manifest(artifact.derivation.manifest)) else None


def locate(artifact: Artifact) -> Source:
    """Decide where ``artifact`` comes from, without copying or downloading anything.

    A cached file recorded as verified wins unless the mirror lists other bytes under its name
    (then the mirror's copy replaces it, as ``fetch`` does: e.g. the mirror's rebuilt MNIST over
    a downloaded canonical one). A cached file without a record is adopted when it has the
    registry's sha256. Recorded hashes are trusted here; ``fetch`` re-hashes before using them.
    """
    target = data_dir() / artifact.filename
    copy = find_in_mirror(artifact)
    recorded = read_sidecar(target) if target.is_file() else None
    recorded = recorded or adopt_unrecorded(artifact, target)
    if recorded is not None and (copy is None or recorded == copy.sha256):
        return Source("cache", target)
    if copy is not None:
        return Source("mirror", copy.path, copy)
    if artifact.derivation is not None:
        folder = derived_folder(artifact)
        return Source("derived", folder) if folder is not None else Source("derive")
    return Source("download" if artifact.url else "missing")


def source_of(artifact: str | Artifact) -> str:
    """Where an artifact would come from now: "cache", "mirror", "download", "derive", "missing".

    "derive": no mirror or cache has its file, and it is made from its public source (a derived
    folder already in the cache counts as "cache").
    """
    kind = locate(resolve(artifact)).kind
    return "cache" if kind == "derived" else kind


def folder_size(folder: Path) -> int:
    """Total bytes of the files under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


#: What ``info`` calls each kind of source: what is not local yet is "missing".
WHERE = {"cache": "cache", "derived": "cache", "mirror": "mirror"}


def cached_info() -> list[dict]:
    """One dict per artifact: name, filename, path, size, licence, source, extracted, ..."""
    rows = []
    for artifact in ARTIFACTS.values():
        target = data_dir() / artifact.filename
        try:
            source = locate(artifact)
        except DataError:  # a mirror setting that points nowhere: report, don't fail
            cached = target.is_file() and read_sidecar(target) is not None
            source = Source("cache", target) if cached else Source("download")
        local = source.path if source.kind in ("cache", "derived") else None
        derived = local if source.kind == "derived" else None
        extracted = data_dir() / artifact.extract_to if artifact.extract_to else None
        rows.append(
            {
                "name": artifact.name,
                "filename": artifact.filename,
                "path": local,
                "size": local and (folder_size(local) if derived else local.stat().st_size),
                "licence": artifact.licence,
                "source": WHERE.get(source.kind, "missing"),
                "downloadable": artifact.url is not None,
                "derivable": artifact.derivation is not None,
                "derived": derived,
                "extracted": extracted if extracted and read_marker(extracted) else None,
                "optional": artifact.optional,
            }
        )
    return rows
