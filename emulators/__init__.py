"""Local casavi and DocuWare services for the demo, tests and benchmarks."""
