"""The live dashboard (``make dashboard``): step, play and reset any shipped
scenario's protocol in the browser, on Mesa's SolaraViz."""
