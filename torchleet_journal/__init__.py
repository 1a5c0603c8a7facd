"""The journal's build, one module per stage: entries → runner/capture → results → render → site."""
