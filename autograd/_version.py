"""deltagrad's version, read by pyproject.toml (setuptools dynamic version) and `--version`."""

__version__ = "0.1.0"
