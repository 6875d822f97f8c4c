"""The ``noxline`` command: version | init | gitlab-ci | run. A thin shell over the library."""

# Each subcommand imports its module when it runs, so one broken piece cannot break the others.
# pylint: disable=import-outside-toplevel

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from noxline import confine
from noxline.about import __version__
from noxline.config import load_settings
from noxline.errors import NoxlineError, describe_unexpected, one_line, wants_traceback


def _version(args: argparse.Namespace) -> int:
    """Print (and with --write, write) the computed version."""
    from noxline.jobs.version import compute, write_version

    settings = load_settings(args.project_dir)
    decision = compute(settings)
    if args.write:
        for path in write_version(settings, decision.version):
            print(f"wrote {decision.version} to {path}", file=sys.stderr)
    if args.explain:
        print(f"{decision.version} ({decision.kind.value}, from {decision.source})")
    else:
        print(decision.version)
    return 0


def _gitlab_ci(args: argparse.Namespace) -> int:
    """Render .gitlab-ci.yml, or check the file on disk for drift."""
    from noxline import gitlab

    settings = load_settings(args.project_dir)
    target = _inside_project(settings.project_dir, args.output)
    if args.check:
        diff = gitlab.drift(settings, target)
        if diff:
            sys.stdout.write(diff)
            print(
                f"{target} differs from the pipeline definition: "
                "run `noxline gitlab-ci` to regenerate it",
                file=sys.stderr,
            )
            return 1
        print(f"{target} matches the pipeline definition", file=sys.stderr)
        return 0
    if args.stdout:
        sys.stdout.write(gitlab.render(settings))
    else:
        confine.write_text(settings.project_dir, target, gitlab.render(settings), exact=True)
        print(f"wrote {target}", file=sys.stderr)
    return 0


def _inside_project(project_dir: Path, output: str) -> Path:
    """``output`` (relative to the project) as a path, refused when it leaves the project (the
    file is then written through :mod:`noxline.confine`: never through a link)."""
    try:
        return confine.path_of(project_dir, output)
    except confine.ConfinementError:
        raise NoxlineError(
            f"--output {output!r} is not a file inside the project {project_dir}: noxline writes "
            "only inside the project; give a path relative to it, such as .gitlab-ci.yml"
        ) from None


def _init(args: argparse.Namespace) -> int:
    """Adopt noxline in an existing project."""
    from noxline import adopt

    return adopt.init(Path(args.project_dir), force=args.force, ratchet=args.ratchet)


def _run(args: argparse.Namespace) -> int:
    """Run the pipeline locally with GitLab's semantics."""
    from noxline import runner

    settings = load_settings(args.project_dir)
    return runner.run(
        settings,
        jobs=args.jobs,
        parallel=args.jobs_limit or os.cpu_count() or 1,
        no_cache=args.no_cache,
    )


#: What ``noxline --help`` says first: plain prose, since argparse prints it as it is.
DESCRIPTION = (
    "One pipeline definition for a Python library: its nox sessions locally, its GitLab CI "
    "generated. Commands: version, init, gitlab-ci, run."
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``noxline``."""
    parser = argparse.ArgumentParser(prog="noxline", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"noxline {__version__}")
    parser.add_argument(
        "-C", dest="project_dir", default=".", help="the project folder (default: the current one)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    version = commands.add_parser("version", help="print the PEP 440 version of this checkout")
    version.add_argument(
        "--write", action="store_true", help="write it to pyproject.toml and VERSION"
    )
    version.add_argument("--explain", action="store_true", help="say which rule gave the version")
    version.set_defaults(handler=_version)

    init = commands.add_parser(
        "init", help="adopt noxline: noxfile, [tool.noxline], .gitlab-ci.yml"
    )
    init.add_argument("--force", action="store_true", help="overwrite files that differ")
    init.add_argument(
        "--ratchet",
        action="store_true",
        help="measure coverage, pylint and docstrings once and write the figures as thresholds",
    )
    init.set_defaults(handler=_init)

    gitlab = commands.add_parser("gitlab-ci", help="generate .gitlab-ci.yml from the pipeline")
    gitlab.add_argument(
        "--check", action="store_true", help="exit 1 with a diff if the file drifted"
    )
    gitlab.add_argument("--stdout", action="store_true", help="print instead of writing")
    gitlab.add_argument("--output", default=".gitlab-ci.yml", help="file to write or check")
    gitlab.set_defaults(handler=_gitlab_ci)

    run = commands.add_parser("run", help="run the pipeline locally, parallel as GitLab would")
    run.add_argument("jobs", nargs="*", help="jobs to run, with what they need (default: all)")
    run.add_argument(
        "-j", dest="jobs_limit", type=int, default=0, help="parallel jobs (default: cores)"
    )
    run.add_argument(
        "--no-cache",
        action="store_true",
        help="run every job, even those whose inputs match an earlier green run "
        "(also NOXLINE_NO_CACHE=1)",
    )
    run.set_defaults(handler=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``noxline`` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except NoxlineError as error:
        print(f"noxline: error: {one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("noxline: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # pylint: disable=broad-exception-caught
        # Anything else is a bug: one line and where the traceback is, never the traceback itself.
        if wants_traceback():
            raise
        print(
            f"noxline: error: {describe_unexpected(error, *_traceback_file(args))}", file=sys.stderr
        )
        return UNEXPECTED_EXIT
    return code


#: Exit status of an unexpected error (EX_SOFTWARE): distinct from bad input (2).
UNEXPECTED_EXIT = 70


def _traceback_file(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """Where the CLI keeps the traceback of an unexpected error (the project's reports folder),
    and the project it is confined to."""
    try:
        settings = load_settings(args.project_dir)
    except Exception:  # pylint: disable=broad-exception-caught
        return None, None  # the settings themselves are broken: no folder to write to
    return settings.report_root / "noxline-traceback.txt", settings.project_dir


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
