"""Output formats: SemEval TSV, versioned JSON, terminal."""
