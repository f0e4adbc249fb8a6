"""pmkv.generate: realistic, valid, reproducible pm/ trees (``pmkv generate``)."""

from pmkv.generate.errors import GenerateError
from pmkv.generate.tree import GenerateResult, Progress, generate_tree

__all__ = ["GenerateError", "GenerateResult", "Progress", "generate_tree"]
