"""The local web dashboard (FastAPI, Jinja2, bundled uPlot)."""
