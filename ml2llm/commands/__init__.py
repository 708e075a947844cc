"""Pluggable ``ml2llm`` subcommands.

Every module in this package that defines ``register(subparsers)`` adds its subcommand(s) to
the CLI. ``register`` calls ``subparsers.add_parser(name, help=...)`` and
``parser.set_defaults(func=run)``, where ``run(args) -> int`` returns the exit code. Raise
:class:`ml2llm.errors.UsageError` for bad input: the CLI prints it as one line and exits 2.
Import heavy dependencies inside ``run``, not at module level, so ``ml2llm --help`` stays fast.
"""
