"""`DatabaseUrl` lives in `supportflow/database_url.py`, a leaf that settings import without
the store package; the store's modules import it from here too."""

from supportflow.database_url import DatabaseUrl, DatabaseUrlError

__all__ = ["DatabaseUrl", "DatabaseUrlError"]
