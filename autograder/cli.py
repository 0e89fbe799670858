"""Command line: a thin layer over keyword-only functions.

    python -m autograder grade PROBLEM_SET SUBMISSION [--format gradescope|text|json] [--lang zh|en]
    python -m autograder check PROBLEM_SET FILE      # the visible tests, a friendly report
    python -m autograder course FOLDER [--format text|json|csv]   # every problem set in FOLDER/<ps>/
    python -m autograder build [--check]             # regenerate notebooks, skeletons, solutions, examples
    python -m autograder list                        # problem sets and exercises

``grade`` and ``check`` exit 0 whatever the score; non-zero only when the grader
itself cannot run (unknown problem set, unreadable path), with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from autograder.catalog import PROBLEM_SETS, get_problem_set
from autograder.i18n import LANGS, default_lang


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("problem_set", help="problem set id, e.g. ps1_threads (or ps1)")
        p.add_argument("submission", type=Path, help="the student's .py, .ipynb, or a folder holding one")
        p.add_argument("--lang", choices=LANGS, default=None, help="feedback language (default: from the locale)")
        p.add_argument("--jobs", type=int, default=None, help="checks run at once (default: 2 per core, at most 8)")
        p.add_argument("--python", default=None, metavar="PATH",
                       help="run the student's code with this CPython (3.10+) instead of the grader's own")
        p.add_argument("--schedule", default=None, metavar="SCHEDULE",
                       help="replay one thread schedule reported in feedback (like random:7) in scheduled checks")

    grade = sub.add_parser("grade", help="grade a submission with every test, visible and hidden")
    common(grade)
    grade.add_argument("--format", choices=("gradescope", "text", "json"), default="text",
                       help="gradescope: results.json; json: the full result, both languages; text: for people")
    check = sub.add_parser("check", help="run the visible tests on your own work")
    common(check)
    course = sub.add_parser("course", help="grade every problem set of one student (FOLDER/<problem set>/)")
    course.add_argument("folder", type=Path, help="a folder with one subfolder per problem set, e.g. solutions")
    course.add_argument("--format", choices=("text", "json", "csv"), default="text",
                        help="text: a table for people; json: every result, both languages; csv: per exercise")
    course.add_argument("--lang", choices=LANGS, default=None, help="feedback language (default: from the locale)")
    course.add_argument("--jobs", type=int, default=None, help="checks run at once (default: 2 per core, at most 8)")
    course.add_argument("--python", default=None, metavar="PATH",
                        help="run the student's code with this CPython (3.10+) instead of the grader's own")
    build = sub.add_parser("build", help="regenerate every generated file from autograder/problemsets")
    build.add_argument("--check", action="store_true", help="only report generated files that are stale")
    build.add_argument("problem_sets", nargs="*", help="problem sets to build (default: all)")
    sub.add_parser("list", help="list problem sets and their exercises")
    return parser


def _die(message: str) -> int:
    print(f"autograder: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        for ps in PROBLEM_SETS.values():
            print(f"{ps.id} ({ps.module}.py): " + ", ".join(f"{ps.short}.{e.id}" for e in ps.exercises))
        return 0
    if args.command == "build":
        from autograder.build import build

        return build(problem_sets=args.problem_sets or None, check=args.check)

    if args.command == "course":
        return _course(args)

    from autograder.runner import grade
    from autograder.submission import SubmissionError

    lang = args.lang or default_lang()
    try:
        get_problem_set(args.problem_set)
        if args.schedule:
            from autograder.interleave.scheduler import strategy_from_spec

            try:
                strategy_from_spec(args.schedule)
            except ValueError as exc:
                return _die(str(exc))
        if args.python and not shutil.which(args.python):
            return _die(f"no such Python interpreter: {args.python}")
        result = grade(args.problem_set, args.submission, visible_only=args.command == "check", jobs=args.jobs,
                       python=os.path.abspath(shutil.which(args.python)) if args.python else None, schedule=args.schedule)
    except KeyError as exc:
        return _die(str(exc.args[0]))
    except SubmissionError as exc:
        return _die(str(exc))
    if args.command == "check":
        from autograder.reporters.text import render

        render(result, lang)
    elif args.format == "gradescope":
        json.dump(result.to_gradescope_dict(lang), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif args.format == "json":
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        from autograder.reporters.text import render

        render(result, lang)
    return 0


def _course(args: argparse.Namespace) -> int:
    from autograder.course import grade_course
    from autograder.submission import SubmissionError

    if not args.folder.is_dir():
        return _die(f"not a folder: {args.folder}")
    if args.python and not shutil.which(args.python):
        return _die(f"no such Python interpreter: {args.python}")
    python = os.path.abspath(shutil.which(args.python)) if args.python else None
    try:
        result = grade_course(args.folder, jobs=args.jobs, python=python)
    except SubmissionError as exc:
        return _die(str(exc))
    if args.format == "json":
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif args.format == "csv":
        sys.stdout.write(result.to_csv())
    else:
        from autograder.reporters.text import render_course

        render_course(result, args.lang or default_lang())
    return 0
