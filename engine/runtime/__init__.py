"""Run SpiffWorkflow for one instance: load onto the cached spec, step, save; clocks and serializer."""
