"""lucid.linalg (filled in below)."""
