"""The SMK process models, one module per process; each exposes ``build() -> dict[filename, text]``."""
