"""Load and soak benchmarks against the locally running RSC stack (`make up`).

Not part of any service: run one scenario with `uv run --frozen python -m bench.<scenario>`.
"""
