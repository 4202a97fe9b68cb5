"""Regenerate the bundled sample: ``python -m segwise.datasets``."""

from __future__ import annotations

from segwise.datasets import sample_paths, write_sample

if __name__ == "__main__":
    written = write_sample(sample_paths()["orders"].parent)
    for name, path in written.items():
        print(f"{name}: {path} ({path.stat().st_size:,} bytes)")  # noqa: T201 — a script
