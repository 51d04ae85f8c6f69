"""Check helpers called from the notebooks' test cells, one module per assignment."""
