"""Find the repository root without hard-coded paths; see :mod:`ml2llm.paths`."""

from ml2llm.paths import add_repo_root_to_sys_path, find_repo_root  # noqa: F401
