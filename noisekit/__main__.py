"""`python -m noisekit ...` (and `torchrun -m noisekit train ...`) runs the command line."""

from noisekit.cli import main

main(prog_name="noisekit")
