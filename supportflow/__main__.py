"""`python -m supportflow` is the `supportflow` command."""

from __future__ import annotations

import sys

from supportflow.cli import main

# Guarded: a spawned child process (the ONNX export runs in one) imports this module again
# as `__mp_main__`, and must not start a second server.
if __name__ == "__main__":
    sys.exit(main())
