"""SMK PNS rules as plain Python: scoring regimes, predikat, curve, follow-up (see docs/rules.md)."""
