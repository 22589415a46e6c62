"""The sky engine: pure functions over coordinate columns (HEALPix indexing, pair search)."""
