"""Getting text: safe file reading (HTML and URLs come later)."""
