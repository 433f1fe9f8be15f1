"""Storage: the declarative base and session factory, the models split by concern, the migrations.

Every model module is imported here, so that whichever table a caller uses, the tables its foreign keys
name are known to the metadata too.
"""

from engine.db import audit, deferred, deploy, documents, notify, org, results, runtime, workspace  # noqa: F401

__all__ = ["audit", "deferred", "deploy", "documents", "notify", "org", "results", "runtime", "workspace"]
