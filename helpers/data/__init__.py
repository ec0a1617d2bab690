"""The course's data layer: an artifact registry, verified fetching and ready-to-train loaders."""

from helpers.data.errors import DataError
from helpers.data.fetch import fetch, locate, source_of
from helpers.data.folders import FolderScan, load_images, scan_image_folder
from helpers.data.registry import ARTIFACTS, Artifact, get_artifact

__all__ = [
    "ARTIFACTS",
    "Artifact",
    "DataError",
    "FolderScan",
    "fetch",
    "get_artifact",
    "load_images",
    "locate",
    "scan_image_folder",
    "source_of",
]
