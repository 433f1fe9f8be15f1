"""Fixtures for the rule tests: SpiffWorkflow's own DMN engine, the reference for every table."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from processes.rules.dmn_tables import DMN_FILES

_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="https://smk-workflow/tests">
  <bpmn:process id="uji_dmn" isExecutable="true">
    <bpmn:startEvent id="mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="aturan" />
    <bpmn:businessRuleTask id="aturan">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>{decision_id}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f2" sourceRef="aturan" targetRef="selesai" />
    <bpmn:endEvent id="selesai"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(scope="session")
def spiff_parser() -> SpiffBpmnParser:
    """Parse every shipped DMN file with schema validation, as the engine would."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_files([str(path) for path in DMN_FILES.values()])
    return parser


@pytest.fixture(scope="session")
def spiff_decide(spiff_parser: SpiffBpmnParser) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """Evaluate a decision with SpiffWorkflow's DMNEngine and plain eval (the reference semantics)."""
    engines = {decision_id: spiff_parser.get_engine(decision_id, None) for decision_id in DMN_FILES}
    workflow = SimpleNamespace(script_engine=PythonScriptEngine())

    def decide(decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
        task = SimpleNamespace(data=dict(data), workflow=workflow)
        return dict(engines[decision_id].result(task))

    return decide


@pytest.fixture
def run_business_rule_task() -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """Run a one-task BPMN process whose business rule task calls the given decision."""

    def run(decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_str(_BPMN.format(decision_id=decision_id).encode())
        parser.add_dmn_file(str(DMN_FILES[decision_id]))
        workflow = BpmnWorkflow(parser.get_spec("uji_dmn"))
        start = workflow.get_tasks(spec_name="mulai")[0]
        start.data.update(data)
        workflow.do_engine_steps()
        assert workflow.is_completed()
        return dict(workflow.get_tasks(spec_name="aturan")[0].data)

    return run
