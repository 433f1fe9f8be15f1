"""Read models for pages: plain dataclasses read in one read-only transaction."""
