"""Codebooks: the model, loading from YAML, and consistency validation."""

from qualcode.codebook.model import Code, Codebook, CodebookInfo, Location, Rule

__all__ = ["Code", "Codebook", "CodebookInfo", "Location", "Rule"]
