"""noisekit: real-noise datasets for restoring historical recordings, and the denoiser that uses them.

The public API (docs/api.md) is the names in ``__all__``; it follows semantic versioning.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from noisekit.api import PUBLIC

try:
    __version__ = version("noisekit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

PROJECT_URL = "https://github.com/noisekit/noisekit"

__all__ = ["__version__", "PROJECT_URL", *PUBLIC]


def __getattr__(name: str) -> Any:
    """The public names, imported on first use so that `import noisekit` and `noisekit --help` stay fast."""
    if name not in PUBLIC:
        raise AttributeError(f"module 'noisekit' has no attribute {name!r}")
    value = getattr(import_module(PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(PUBLIC))
