"""The course's data layer: an artifact registry, verified fetching and ready-to-train loaders."""

from helpers.data.errors import DataError
from helpers.data.fetch import cached_info, fetch, locate, source_of
from helpers.data.folders import (
    FolderReport,
    FolderScan,
    check_image_folder,
    load_images,
    scan_image_folder,
)
from helpers.data.registry import ARTIFACTS, Artifact, get_artifact

__all__ = [
    "ARTIFACTS",
    "Artifact",
    "DataError",
    "FolderReport",
    "FolderScan",
    "cached_info",
    "check_image_folder",
    "fetch",
    "get_artifact",
    "load_images",
    "locate",
    "scan_image_folder",
    "source_of",
]
