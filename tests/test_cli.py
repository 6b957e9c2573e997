"""The command line: installed console script, help text, one-line errors with exit status 2."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from noisekit.cli import main
from noisekit.datadir import DataDir


def test_console_script_help_runs():
    exe = shutil.which("noisekit") or str(__import__("pathlib").Path(sys.executable).parent / "noisekit")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Usage: noisekit" in result.stdout and "manifest" in result.stdout


def test_every_listed_command_has_working_help():
    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert command.help or command.short_help, f"{name} has no help text"


def test_manifest_check_reports_bad_table_in_one_line(tmp_path):
    data = DataDir(tmp_path).ensure()
    pq.write_table(
        pa.table({"path": ["a.wav"], "start_s": [0.0], "end_s": [1.0], "label": ["speech"]}),
        data.manifest_path("labels"),
    )
    result = CliRunner().invoke(main, ["manifest", "check", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "table 'labels', column 'label'" in result.output and "Traceback" not in result.output


def test_data_option_reads_environment(tmp_path):
    DataDir(tmp_path).ensure()
    result = CliRunner().invoke(main, ["manifest", "check"], env={"NOISEKIT_DATA": str(tmp_path)})
    assert result.exit_code == 0 and "0 manifest(s) valid" in result.output
