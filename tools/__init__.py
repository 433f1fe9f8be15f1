"""Developer tools that ship with the app: benchmarks and a builder of small BPMN models for tests."""
