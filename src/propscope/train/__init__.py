"""Training (needs the ``train`` extra: torch and transformers)."""
