"""One module per command (group); each defines ``register(app)``, found by `causalex_cli.main`."""
