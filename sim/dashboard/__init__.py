"""The live dashboard (``make dashboard``): load, step and play any scenario's
protocol in the browser — a Solara page on the study's Mesa model, laid out
for a projector (docs/cli.md, "The dashboard")."""
