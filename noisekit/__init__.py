"""noisekit: real-noise datasets for restoring historical recordings, and the denoiser that uses them."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("noisekit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

PROJECT_URL = "https://github.com/noisekit/noisekit"

__all__ = ["__version__", "PROJECT_URL"]
