"""paritylab: evaluation pipeline for LLM applications in production, with evidence."""

__version__ = "0.1.0"
