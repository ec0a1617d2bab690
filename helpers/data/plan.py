"""A plan before a long fetch: what will come from where, how big it is, how it is checked.

``python -m helpers.data info`` prints it, and ``fetch all`` (``make data``) prints it before it
starts, so nobody is surprised by a 1.2 GB download. Nothing here touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helpers.config import MIRROR_ENV, data_dir
from helpers.data.derive import KEEP_SOURCE_ENV, keep_source_setting, load_manifest
from helpers.data.download import partial_of
from helpers.data.fetch import locate
from helpers.data.registry import ARTIFACTS, Artifact, get_artifact
from helpers.data.store import derive_only_note, human_size

__all__ = ["Step", "format_plan", "make_plan", "verification_of"]


@dataclass
class Step:
    """What fetching one artifact will do."""

    name: str
    #: "cached", "copy" (from the mirror), "download", "derive", "skip" or "unavailable".
    action: str
    #: Human-readable lines: sources, sizes, checks.
    lines: list[str] = field(default_factory=list)
    #: Bytes this step downloads (exact, or approximate when ``approximate``); 0 for none.
    download_bytes: int = 0
    approximate: bool = False
    #: True when this step downloads something.
    internet: bool = False


def verification_of(artifact: Artifact) -> str:
    """How a download of ``artifact`` is checked, in words."""
    if artifact.sha256:
        return "sha256 pinned" + (" and size" if artifact.size else "")
    if artifact.size:
        crc = "; every zip member's CRC is checked" if artifact.is_archive else ""
        return f"size pinned (no published sha256){crc}"
    if artifact.is_archive:
        return "no size or sha256 published: every zip member's CRC is checked on reading"
    return "no size or sha256 published: unchecked"


def size_text(artifact: Artifact) -> tuple[str, int, bool]:
    """The download size in words, in bytes (0 unknown) and whether it is approximate."""
    if artifact.size is not None:
        return human_size(artifact.size), artifact.size, False
    if artifact.approx_size is not None:
        return f"about {human_size(artifact.approx_size)}", artifact.approx_size, True
    return "size unknown", 0, True


def download_lines(artifact: Artifact) -> tuple[list[str], int, bool]:
    """Lines describing a download of ``artifact`` (resuming a partial one), its size, approx."""
    words, size, approximate = size_text(artifact)
    partial = partial_of(data_dir() / artifact.filename)
    resume = ""
    if partial.is_file() and partial.stat().st_size:
        done = partial.stat().st_size
        resume = f"; resumes after the {human_size(done)} already in {partial.name}"
        size = max(size - done, 0)
    lines = [
        f"download {artifact.filename} ({words}{resume})",
        f"  from {artifact.url}",
        f"  check: {verification_of(artifact)}",
    ]
    return lines, size, approximate


def derive_step(artifact: Artifact) -> Step:
    """The plan of a derived artifact: fetch its source, derive, then keep or delete the source."""
    assert artifact.derivation is not None
    manifest = load_manifest(artifact.derivation.manifest)
    source = get_artifact(artifact.derivation.source)
    step = Step(artifact.name, "derive")
    found = locate(source)
    where = found.kind
    downloaded = False
    if where == "mirror":
        step.lines.append(f"read {source.filename} in place from the mirror: {found.path}")
    elif where == "cache":
        step.lines.append(f"use {source.filename} from the cache")
        downloaded = derive_only_note(data_dir() / source.filename).is_file()
    else:
        lines, step.download_bytes, step.approximate = download_lines(source)
        step.lines += lines
        step.internet = True
        step.lines[0] += f" [{source.name}, {source.licence}]"
    step.lines.append(
        f"derive {len(manifest.images):,} images ({manifest.describe_counts()}) listed in "
        f"{manifest.path.name}: {manifest.recipe.describe()}"
    )
    step.lines.append(
        f"  into {data_dir() / str(artifact.extract_to)}/, checked by names, counts and "
        "decodability"
    )
    if where not in ("mirror", "cache") or downloaded:
        if keep_source_setting(None):
            step.lines.append(f"keep {source.filename} afterwards ({KEEP_SOURCE_ENV} is set)")
        else:
            step.lines.append(
                f"then delete {source.filename} (to keep it: {KEEP_SOURCE_ENV}=1 or --keep-source)"
            )
    return step


def step_of(artifact: Artifact) -> Step:
    """What ``fetch all`` does with one artifact, given the mirror and cache as they are now."""
    source = locate(artifact)
    where = "cache" if source.kind == "derived" else source.kind
    target = data_dir() / artifact.filename
    if artifact.optional and derive_only_note(target).is_file():
        return Step(
            artifact.name,
            "skip",
            [
                f"optional; {target.name} is in the cache only until the data set derived from it "
                f"is done (fetch {artifact.name} by name to keep it)"
            ],
        )
    if where == "cache":
        return Step(artifact.name, "cached", [f"in the cache: {source.path}"])
    if source.path is not None and where == "mirror":
        size = human_size(source.path.stat().st_size)
        return Step(
            artifact.name,
            "copy",
            [f"copy from the mirror: {source.path} ({size}), checked against SHA256SUMS"],
        )
    if artifact.optional:
        words, _, _ = size_text(artifact)
        how = f"a download of {words}" if artifact.url else "only in the course mirror"
        return Step(
            artifact.name,
            "skip",
            [f"optional, {how}; fetch it by name: python -m helpers.data fetch {artifact.name}"],
        )
    if where == "derive":
        return derive_step(artifact)
    if where == "download":
        lines, size, approximate = download_lines(artifact)
        return Step(artifact.name, "download", lines, size, approximate, internet=True)
    return Step(
        artifact.name,
        "unavailable",
        [
            f"{artifact.filename} has no public download and is not in the mirror; set "
            f"{MIRROR_ENV} to a folder that has it (e.g. ../shared/data beside the repository)"
        ],
    )


def make_plan(artifacts: list[Artifact] | None = None) -> list[Step]:
    """The plan for ``artifacts`` (default: every registry entry, as ``fetch all`` does)."""
    return [step_of(a) for a in (artifacts if artifacts is not None else ARTIFACTS.values())]


def format_plan(steps: list[Step]) -> str:
    """The plan as text: one block per artifact, then the total to download."""
    width = max(len(step.name) for step in steps) + 2
    lines = []
    for step in steps:
        first, *rest = step.lines or [""]
        lines.append(f"  {step.name.ljust(width)}{step.action:<12}{first}")
        lines += [f"  {'':{width}}{'':12}{line}" for line in rest]
    total = sum(step.download_bytes for step in steps)
    approximate = any(step.approximate for step in steps if step.internet)
    if total:
        lines.append(f"  to download: {'about ' if approximate else ''}{human_size(total)}")
    else:
        lines.append("  to download: nothing")
    return "\n".join(lines)
