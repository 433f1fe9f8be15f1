"""SMK PNS rules as plain Python (standard library only): scoring regimes, predikat, curve, follow-up."""
