"""``mnist-app class ...``: create, list, export and import classes from the command line.

    mnist-app class create NAME
    mnist-app class list
    mnist-app class export CODE FILE [--teacher-key KEY] [--force]
    mnist-app class import FILE

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
