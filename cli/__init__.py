"""The `causalex` command-line app (installed as the ``causalex_cli`` package)."""
