"""`python -m supportflow` is the `supportflow` command."""

from __future__ import annotations

import sys

from supportflow.cli import main

sys.exit(main())
