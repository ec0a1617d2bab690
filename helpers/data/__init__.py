"""The course's data layer: a registry of artifacts, verified fetching, and ready-to-train loaders."""
