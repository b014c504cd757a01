"""The curated notebooks, shipped as package data (``ayr_analysis.notebooks``)."""
