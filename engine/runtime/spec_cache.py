"""Parsed bundles cached in memory by deployment content hash (deployments are immutable)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.deploy import Deployment, DeploymentFile, ProcessVersion
from engine.deploy.bundles import ParsedBundle, parse_bundle
from engine.runtime.decisions import pin_business_rules


class SpecCache:
    """An LRU of ParsedBundle by bundle hash; a miss re-parses the stored files."""

    def __init__(self, size: int = 64):
        self._size = size
        self._items: OrderedDict[str, ParsedBundle] = OrderedDict()
        self._lock = threading.Lock()  # guards only this in-memory dict, never database state
        self.hits = 0
        self.misses = 0
        # Deployments and process versions never change once written, so these maps never go stale.
        self._hash_of: dict[int, str] = {}
        self._deployment_of_version: dict[int, int] = {}

    def put(self, bundle: ParsedBundle) -> None:
        """Cache a parsed bundle; its business rule tasks evaluate the decision versions pinned per instance."""
        for info in bundle.processes.values():
            pin_business_rules([info.spec, *info.subprocess_specs.values()])
        with self._lock:
            self._items[bundle.bundle_hash] = bundle
            self._items.move_to_end(bundle.bundle_hash)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def for_version(self, session: Session, process_version_id: int) -> ParsedBundle:
        """Return the parsed bundle that defines a process version."""
        deployment_id = self._deployment_of_version.get(process_version_id)
        if deployment_id is None:
            deployment_id = session.scalar(select(ProcessVersion.deployment_id)
                                           .where(ProcessVersion.id == process_version_id))
            if deployment_id is None:
                raise LookupError(f"process version {process_version_id} does not exist")
            self._deployment_of_version[process_version_id] = deployment_id
        return self.get(session, deployment_id)

    def get(self, session: Session, deployment_id: int) -> ParsedBundle:
        """Return the parsed bundle of a deployment, parsing its stored files on a miss."""
        bundle_hash = self._hash_of.get(deployment_id)
        if bundle_hash is None:
            bundle_hash = session.scalar(select(Deployment.bundle_hash).where(Deployment.id == deployment_id))
            if bundle_hash is None:
                raise LookupError(f"deployment {deployment_id} does not exist")
            self._hash_of[deployment_id] = bundle_hash
        with self._lock:
            found = self._items.get(bundle_hash)
            if found is not None:
                self._items.move_to_end(bundle_hash)
                self.hits += 1
                return found
        self.misses += 1
        rows = session.scalars(select(DeploymentFile).where(DeploymentFile.deployment_id == deployment_id)).all()
        bundle = parse_bundle({r.filename: r.content for r in rows})
        bundle.included = {r.filename for r in rows if r.included}
        self.put(bundle)
        return bundle
