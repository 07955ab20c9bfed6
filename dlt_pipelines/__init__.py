"""Extract + load: one package per source (ixhaus, docuware, casavi); `run.ingest` drives them."""
