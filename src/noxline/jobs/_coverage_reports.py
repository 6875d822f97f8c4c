"""Every coverage report of a job from one coverage process: combine, HTML, Cobertura, the table.

The tests job (unsharded) and the coverage job run this file as a script with the session's
Python, ``python -I _coverage_reports.py --rcfile=CONFIG [--table] [DATA ...]``; it imports only
the standard library and coverage, which the session installed. It does what the commands
``coverage combine``, ``coverage html``, ``coverage xml`` and ``coverage report`` did one after
another, with the same configuration and the same files, in one process:

* the ``DATA`` files (each copy's, kept for a re-run) or else the parallel data files beside the
  configured data file (consumed, as ``coverage html`` consumed them) are combined and saved;
* the HTML report and the Cobertura XML are written; their failure ("No data to report") is
  printed and not fatal, so a failed test run still leaves whatever reports it can;
* with ``--table``, the terminal table with its ``TOTAL … NN%`` line, which GitLab's coverage
  regex and :func:`noxline.jobs.tests.enforce_threshold` read; here an error is fatal (exit 1).

Why one process: each coverage command starts Python, imports coverage and parses every measured
source file again, and parsing is most of a report's time (about 1 s per report for Werkzeug's
8,400 statements). Here each file is parsed once and its parse kept for the three reports
(:func:`keep_parses`).

``-I`` keeps the script's own folder (``noxline/jobs/``, which holds a ``coverage.py``) and the
working directory off ``sys.path``, so ``import coverage`` finds the installed package; the
working directory is appended afterwards only for coverage plugins, as the coverage command does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

import coverage
from coverage.exceptions import CoverageException


def keep_parses(cov: coverage.Coverage) -> bool:
    """Make ``cov`` build one file reporter per measured file and keep it across reports.

    Coverage builds a new reporter, and so parses the source file again, for every file in every
    report. A file's reporter depends only on the file name and the configuration, which stay the
    same in this process, so keeping it changes no report. The hook is coverage's private
    ``_get_file_reporter``; when a coverage release no longer has it, the reports are still
    right, only each one parses again. Returns whether the parses are kept.
    """
    make: Callable[[Any], Any] | None = getattr(cov, "_get_file_reporter", None)
    if make is None:
        return False
    made: dict[str, Any] = {}

    def reporter(morf: Any) -> Any:
        """The file's reporter, made on first use; a module object is not kept."""
        if not isinstance(morf, str):
            return make(morf)
        if morf not in made:
            made[morf] = make(morf)
        return made[morf]

    setattr(cov, "_get_file_reporter", reporter)
    return True


def write_reports(rcfile: str, data: Sequence[str], table: bool) -> int:
    """Combine, write HTML and XML, print the table with ``table``; the process's exit code."""
    cov = coverage.Coverage(config_file=rcfile, messages=True)
    if cov.get_option("run:plugins"):
        sys.path.append("")  # as the coverage command does: plugins in the project folder
    keep_parses(cov)
    try:
        # Named copies' files are other jobs' artifacts: kept. Without names, the parallel files
        # beside the data file are this job's own and are folded into it, as `coverage html` did.
        cov.combine(list(data) or None, strict=True, keep=bool(data))
        cov.save()
    except CoverageException as error:
        print(f"coverage combine: {error}", file=sys.stderr)
        cov.load()
    for name, write in (("html", cov.html_report), ("xml", cov.xml_report)):
        try:
            write()
        except CoverageException as error:
            print(f"coverage {name}: {error}", file=sys.stderr)
    if not table:
        return 0
    sys.stdout.flush()
    try:
        cov.report(precision=1)
    except CoverageException as error:
        print(f"coverage report: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and write the reports."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rcfile", required=True, help="the job's coverage configuration")
    parser.add_argument("--table", action="store_true", help="print the table and TOTAL line")
    parser.add_argument(
        "data", nargs="*", help="data files to combine (default: the parallel ones)"
    )
    args = parser.parse_args(argv)
    return write_reports(args.rcfile, args.data, args.table)


if __name__ == "__main__":
    sys.exit(main())
