"""The TF1 library on the engine: nn, losses, metrics, layers, embeddings, Example parsing.

Everything here is Python built from `core`'s ops (as TF1's `python/ops/*_impl.py`); the
engine never imports it. The public names live in the namespace modules (`estflow/nn.py`,
`losses.py`, `metrics.py`, `layers.py`).
"""
