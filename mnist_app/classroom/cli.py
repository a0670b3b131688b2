"""``mnist-app class ...``: create, list, export and import classes from the command line.

    mnist-app class create NAME
    mnist-app class list
    mnist-app class export CODE FILE [--teacher-key KEY] [--force]
    mnist-app class import FILE
    mnist-app class teach CODE [--models NAME ...]

Every command takes ``--database URL`` (default: ``$MNIST_APP_DATABASE_URL``, else the SQLite
file in the app's data folder). Errors are ``ClassroomError`` (a ValueError): the main
command line prints them as one line.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from mnist_app.classroom import archive, database
from mnist_app.classroom.errors import BadInputError
from mnist_app.classroom.store import open_store

TEACHER_KEY_ENV = "MNIST_APP_TEACHER_KEY"


def add_commands(commands: Any) -> None:
    """Add ``class`` and its subcommands to the main parser's subparsers."""
    parser = commands.add_parser("class", help="create, list, export and import classes",
                                 description="Classes: students join with a code and save their digits.")
    parser.add_argument("--database", metavar="URL", default=None,
                        help=f"database URL (default: ${database.DATABASE_URL_ENV}, else the SQLite file "
                             "in the app's data folder)")
    actions = parser.add_subparsers(title="class commands", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="create a class; prints its join code and teacher key")
    create.add_argument("name", metavar="NAME", help='the class name, e.g. "7B maths"')
    create.set_defaults(run=run_create)

    listing = actions.add_parser("list", help="list the classes with their codes and numbers of digits")
    listing.set_defaults(run=run_list)

    export = actions.add_parser("export", help="write a class to a ZIP (CSV, PNGs, digits.npz)")
    export.add_argument("code", metavar="CODE")
    export.add_argument("file", type=Path, metavar="FILE")
    export.add_argument("--teacher-key", metavar="KEY", default=None,
                        help=f"the class's teacher key (default: ${TEACHER_KEY_ENV}, else asked for)")
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    export.set_defaults(run=run_export)

    importing = actions.add_parser("import", help="add the class in an exported ZIP; prints its new code")
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.set_defaults(run=run_import)

    teach = actions.add_parser("teach", help="teach the models the class's handwriting; prints before/after")
    teach.add_argument("code", metavar="CODE")
    teach.add_argument("--models", nargs="+", default=["all"], metavar="NAME",
                       help="the models to teach: names (space- or comma-separated) or 'all' (default)")
    teach.set_defaults(run=run_teach)


def run_create(args: argparse.Namespace) -> int:
    """``mnist-app class create NAME``."""
    code, key = open_store(args.database).create_class(args.name)
    print(f"class code:  {code}")
    print(f"teacher key: {key}")
    print("Keep the teacher key: it is shown only now and is needed to delete drawings and to export.")
    print(f"Students join with the code, or with the link <app address>/?class={code}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """``mnist-app class list``."""
    classes = open_store(args.database).classes()
    if not classes:
        print("No classes yet: create one with `mnist-app class create NAME`.")
        return 0
    print(f"{'code':<7} {'created (UTC)':<17} {'digits':>7} {'students':>8}  name")
    for info in classes:
        print(f"{info.code:<7} {info.created_at:%Y-%m-%d %H:%M} {info.drawings:>7} {info.students:>8}  "
              f"{info.name}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """``mnist-app class export CODE FILE``."""
    if args.file.exists() and not args.force:
        raise BadInputError(f"{args.file} exists already: choose another file name or add --force")
    key = args.teacher_key or os.environ.get(TEACHER_KEY_ENV)
    if not key and sys.stdin.isatty():
        key = getpass.getpass("teacher key: ")
    if not key:
        raise BadInputError(f"the teacher key is needed: --teacher-key KEY or ${TEACHER_KEY_ENV}")
    data = open_store(args.database).export_zip(args.code, key)
    partial = args.file.with_name(args.file.name + ".partial")
    partial.write_bytes(data)
    partial.replace(args.file)  # a failed write never leaves half a ZIP under the real name
    print(f"wrote {args.file} ({len(data):,} bytes)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """``mnist-app class import FILE``."""
    if not args.file.is_file():
        raise FileNotFoundError(f"no such file: {args.file}")
    if args.file.stat().st_size > archive.MAX_ZIP_BYTES:
        raise BadInputError(f"{args.file} is too big for a class export (more than "
                            f"{archive.MAX_ZIP_BYTES:,} bytes)")
    store = open_store(args.database)
    code = store.import_zip(args.file.read_bytes())
    print(f"imported as class {code} ({store.class_name(code)}); its teacher key is unchanged")
    return 0


def run_teach(args: argparse.Namespace) -> int:
    """``mnist-app class teach CODE [--models ...]``: teach, store, and print before and after."""
    from mnist_app import models
    from mnist_app.teach import classes

    names = teach_models(args.models)
    store = open_store(args.database)
    drawings = store.drawings(args.code)  # UnknownClassError / BadInputError for a bad code
    print(f"Teaching {len(names)} model(s) the {len(drawings)} digits of class {args.code} "
          f"({store.class_name(args.code)})", file=sys.stderr)
    result = classes.teach_class(args.code, drawings, names, progress=_Progress())
    print(file=sys.stderr)
    print(f"{len(result.held_out_ids)} digits held out (never taught), {result.n_taught} taught.")
    print(f"{'model':<30} {'held-out before':>15} {'after':>7} {'MNIST before':>12} {'after':>7} "
          f"{'now right':>9} {'now wrong':>9} {'time':>6}")
    for name, found in result.comparisons.items():
        print(f"{models.get_spec(name).display_name:<30} {found.held_out_before:>15.1%} "
              f"{found.held_out_after:>7.1%} {found.mnist_before:>12.2%} {found.mnist_after:>7.2%} "
              f"{len(found.now_right):>9} {len(found.now_wrong):>9} {found.seconds:>5.0f}s")
    for name, why in result.failures.items():
        print(f"{name}: not taught: {why}", file=sys.stderr)
    return 0 if result.comparisons else 1


def teach_models(chosen: list[str]) -> list[str]:
    """The model names of ``--models`` (space- or comma-separated, or 'all'), checked."""
    from mnist_app import models

    names = [part.strip() for text in chosen for part in text.split(",") if part.strip()]
    if not names or any(name.lower() == "all" for name in names):
        return models.available_models()
    for name in names:
        models.get_spec(name)  # UnknownModelError lists the valid names
    return list(dict.fromkeys(names))


class _Progress:
    """Progress on stderr: a status line on a terminal, else a line per tenth of the way."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, fraction: float, message: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{message[:70]:<70} {fraction:>4.0%}")
            sys.stderr.flush()
        elif int(fraction * 10) > self.shown:
            self.shown = int(fraction * 10)
            print(f"{fraction:>4.0%} {message}", file=sys.stderr, flush=True)
