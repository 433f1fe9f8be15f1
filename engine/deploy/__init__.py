"""Bundles of BPMN/DMN/form files: parse them and check every file, reference and expression."""
