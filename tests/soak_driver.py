"""The noisekit command line with the classifier swapped for the tests' stand-ins, for the soak test.

extract finds noise by the energy rule (tests/extract_fakes.py) and the tape content check asks the tone
detector (tests/tape_helpers.py), so that real command processes, locks, pool workers and all, can be killed
many times in under a minute: `python tests/soak_driver.py extract --data D ...`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from extract_fakes import EnergyFinder


@dataclass(frozen=True)
class StandInFinder(EnergyFinder):
    """Takes ClassifierFinder's arguments and ignores them; picklable for the pool's workers."""

    model_path: str | None = None
    params: object = None
    threads: int = 1

    def classifier(self) -> None:
        """Nothing to load (ClassifierFinder loads its weights here)."""


if __name__ == "__main__":  # (the pool's workers import this file too: they need only the class above)
    from noisekit.cli import main

    if sys.argv[1] == "extract":
        import noisekit.pipelines.extract

        noisekit.pipelines.extract.ClassifierFinder = StandInFinder
    if sys.argv[1] in ("ingest-tape", "run"):  # (importing the classifier costs a second: only where asked)
        from tape_helpers import ToneDetectorClassifier

        import noisekit.classifier

        noisekit.classifier.load_classifier = lambda *args, **kwargs: ToneDetectorClassifier()
    sys.exit(main(sys.argv[1:], prog_name="noisekit"))
