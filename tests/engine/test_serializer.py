"""The spec-less state survives a round trip whatever order the database hands its keys back in."""

from __future__ import annotations

import json
from decimal import Decimal

from SpiffWorkflow.util.task import TaskState

from engine.deploy.bundles import parse_bundle
from engine.runtime.serializer import StateSerializer
from engine.sandbox import make_script_engine

from .helpers import demo_files


def test_round_trip_with_reversed_task_order_keeps_task_data() -> None:
    info = parse_bundle(demo_files()).processes["demo_penilaian"]
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    engine = make_script_engine()
    wf = BpmnWorkflow(info.spec, info.subprocess_specs, script_engine=engine)
    wf.do_engine_steps()
    task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
    task.set_data(kegiatan=[{"nama": "a", "target": 10, "realisasi": 8}], hasil_kerja="Sesuai Ekspektasi",
                  nilai=Decimal("12.50"))
    task.run()
    wf.do_engine_steps()
    serializer = StateSerializer()
    state = json.loads(serializer.dump_text(wf))
    assert "spec" not in state
    # JSONB sorts keys; reversing is the worst case for Spiff's parent-delta encoding of task data.
    state["tasks"] = dict(reversed(list(state["tasks"].items())))
    restored = serializer.load(state, info.spec, info.subprocess_specs, engine)
    ready = restored.get_tasks(state=TaskState.READY, manual=True)[0]
    assert ready.task_spec.name == "tinjau"
    assert ready.data["rata_rata"] == 80.0
    assert ready.data["nilai"] == Decimal("12.50")
