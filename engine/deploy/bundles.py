"""Parse and validate a bundle of BPMN, DMN and form files into runnable specs (no database here)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.deploy import scenario_files
from engine.deploy.expressions import expression_problems
from engine.deploy.safety import bundle_problems
from engine.errors import N_, VERBATIM, DeploymentInvalid, Message, Problem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
MAX_FILE_BYTES = 2 * 2**20
MAX_FILES = 200

MISSING = {  # a reference the bundle cannot resolve, by kind
    "called process": N_("the called process '%(ref)s' is not in this bundle and was never deployed"),
    "decision": N_("the decision '%(ref)s' is not in this bundle and was never deployed"),
}

# A resolver finds a process or decision deployed earlier: id -> (filename, content) or None.
Resolver = Callable[[str], "tuple[str, bytes] | None"]


@dataclass
class ProcessInfo:
    process_id: str
    name: str
    filename: str
    spec: Any
    subprocess_specs: dict[str, Any]
    startable: bool


@dataclass
class ParsedBundle:
    """A validated bundle: its files, the runnable process specs, decisions and form schemas."""

    files: dict[str, bytes]
    included: set[str] = field(default_factory=set)
    processes: dict[str, ProcessInfo] = field(default_factory=dict)
    decisions: dict[str, str] = field(default_factory=dict)
    forms: dict[str, Any] = field(default_factory=dict)
    scenarios: dict[str, scenario_files.Scenario] = field(default_factory=dict)  # *.scenario.json (not forms)

    @property
    def bundle_hash(self) -> str:
        return bundle_hash(self.files)


def bundle_hash(files: Mapping[str, bytes]) -> str:
    """Return a content hash of a bundle that does not depend on the order of its files."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _parse_xml(name: str, content: bytes, problems: list[Problem]) -> Any:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        line, col = (exc.position if exc.position else (exc.lineno, 0))
        problems.append(Problem(name, Message("bundle.xml", N_("the file is not well-formed XML: %(detail)s"),
                                              {"detail": exc.msg}), line=line, column=col))
        return None
    if root.getroottree().docinfo.internalDTD is not None:
        # Entities are never expanded (resolve_entities=False), but a model has no use for them either.
        problems.append(Problem(name, Message("bundle.dtd", N_(
            "the file declares a DOCTYPE (DTD or entities); BPMN and DMN files may not")), line=1))
        return None
    before = len(problems)
    seen: dict[str, int] = {}
    for element in root.iter():
        # SpiffWorkflow's extension elements use "id" for a name (an operator's parameters), not an identity.
        ident = element.get("id") if isinstance(element.tag, str) and not element.tag.startswith(f"{{{SPIFF}}}") \
            else None
        if not ident:
            continue
        if ident in seen:
            problems.append(Problem(name, Message("bundle.duplicate_id", N_(
                "the id '%(id)s' is used twice (first on line %(first)s); every id must be unique"),
                {"id": ident, "first": seen[ident]}), element_id=ident, line=element.sourceline))
        else:
            seen[ident] = element.sourceline or 0
    return root if len(problems) == before else None


def _line_of(trees: dict[str, Any], filename: str | None, element_id: str | None) -> int | None:
    """Spiff leaves ``line_number`` empty; find the element in the source tree instead."""
    if not element_id:
        return None
    for name, root in trees.items():
        if filename and name != filename:
            continue
        found = root.xpath("//*[@id=$id]", id=element_id)
        if found:
            return found[0].sourceline
    return None


def _problem_from_spiff(exc: Exception, trees: dict[str, Any], default_file: str) -> Problem:
    filename = getattr(exc, "file_name", "") or default_file
    element_id = getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None) or _line_of(trees, filename, element_id)
    message = Message("bundle.spiff", VERBATIM, {"detail": str(exc.args[0]) if exc.args else str(exc)})
    return Problem(filename, message, element_id=element_id, line=int(line) if line else None)


def parse_bundle(files: Mapping[str, bytes], find_process: Resolver | None = None,
                 find_decision: Resolver | None = None) -> ParsedBundle:
    """Validate every file and build the specs; raise DeploymentInvalid listing every problem found."""
    problems: list[Problem] = []
    files = dict(files)
    if not files:
        raise DeploymentInvalid([Problem("(bundle)", Message("bundle.empty", N_(
            "the bundle is empty: upload at least one .bpmn file")))])
    if len(files) > MAX_FILES:
        raise DeploymentInvalid([Problem("(bundle)", Message("bundle.too_many_files", N_(
            "too many files (%(count)s; at most %(most)s)"), {"count": len(files), "most": MAX_FILES}))])
    for name, content in files.items():
        if "/" in name or "\\" in name or name.startswith("."):
            problems.append(Problem(name, Message("bundle.file_name", N_(
                "file names may not contain folders or start with a dot"))))
        elif not name.endswith((".bpmn", ".dmn", ".json")):
            problems.append(Problem(name, Message("bundle.file_type", N_(
                "unsupported file type; expected .bpmn, .dmn or .json"))))
        elif len(content) > MAX_FILE_BYTES:
            problems.append(Problem(name, Message("bundle.file_too_large", N_(
                "the file is larger than %(mib)s MiB"), {"mib": MAX_FILE_BYTES // 2**20})))
    if problems:
        raise DeploymentInvalid(problems)

    bundle = ParsedBundle(files=files)
    trees: dict[str, Any] = {}
    for name in sorted(files):
        if name.endswith((".bpmn", ".dmn")):
            root = _parse_xml(name, files[name], problems)
            if root is not None:
                trees[name] = root
        elif scenario_files.is_scenario(name):
            scenario, found = scenario_files.load(name, files[name])
            problems.extend(found)
            if scenario is not None:
                bundle.scenarios[name] = scenario
        else:
            _load_form(name, files[name], bundle, problems)
    if problems:
        raise DeploymentInvalid(problems)
    if not trees:
        raise DeploymentInvalid([Problem("(bundle)", Message("bundle.no_models", N_(
            "the bundle has no .bpmn or .dmn file")))])

    parser = SpiffBpmnParser(validator=VALIDATOR)
    _add_files(parser, trees, problems)
    if problems:
        raise DeploymentInvalid(problems)
    _resolve_references(parser, bundle, trees, problems, find_process, find_decision)
    if problems:
        raise DeploymentInvalid(problems)
    _build_specs(parser, bundle, trees, problems)
    _check_expressions(trees, problems)
    _check_forms(bundle, trees, problems)
    _check_scenarios(bundle, trees, problems)
    problems.extend(bundle_problems(trees, bundle.included, bundle.forms, bundle.files))  # cycles, timers, forms
    if problems:
        raise DeploymentInvalid(problems)
    return bundle


def _load_form(name: str, content: bytes, bundle: ParsedBundle, problems: list[Problem]) -> None:
    try:
        schema = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(name, Message("bundle.not_utf8", N_("the file is not UTF-8 text"))))
        return
    except json.JSONDecodeError as exc:
        problems.append(Problem(name, Message("bundle.json", N_("the file is not valid JSON: %(detail)s"),
                                              {"detail": exc.msg}), line=exc.lineno, column=exc.colno))
        return
    if not isinstance(schema, dict):
        problems.append(Problem(name, Message("bundle.form_not_object", N_("a form file must hold a JSON object"))))
        return
    if name.endswith(".schema.json"):
        digest = hashlib.sha256(content).hexdigest()
        if digest not in _VALID_SCHEMAS:
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                where = "/".join(str(p) for p in exc.path) or "(root)"
                problems.append(Problem(name, Message("bundle.json_schema", N_(
                    "not a valid JSON Schema at %(where)s: %(detail)s"), {"where": where, "detail": exc.message})))
                return
            if len(_VALID_SCHEMAS) >= _VALID_SCHEMAS_KEPT:
                _VALID_SCHEMAS.pop(next(iter(_VALID_SCHEMAS)))  # the oldest
            _VALID_SCHEMAS[digest] = None
    bundle.forms[name] = schema


# The digests of form files already found to be valid JSON Schemas. Checking a schema against the metaschema is
# pure (the same bytes always pass) and takes ~15 ms a form, half the time of parsing a bundle: a process that parses
# the same forms again (every draft check in the editor, every deploy, every test) checks each text once.
_VALID_SCHEMAS: dict[str, None] = {}
_VALID_SCHEMAS_KEPT = 4096


def _add_files(parser: SpiffBpmnParser, trees: dict[str, Any], problems: list[Problem]) -> None:
    for name, root in trees.items():
        try:
            if name.endswith(".dmn"):
                parser.add_dmn_xml(root, filename=name)
            else:
                if _local(root.tag) != "definitions" or etree.QName(root.tag).namespace != BPMN:
                    problems.append(Problem(name, Message("bundle.not_bpmn", N_(
                        "not a BPMN 2.0 document (expected bpmn:definitions)")), line=1))
                    continue
                parser.add_bpmn_xml(root, filename=name)
        except ValidationException as exc:
            problems.append(_problem_from_spiff(exc, trees, name))
        except (SpiffWorkflowException, etree.LxmlError, KeyError, ValueError) as exc:
            problems.append(Problem(name, Message("bundle.unreadable", N_("could not be read: %(detail)s"),
                                                  {"detail": str(exc)})))


def _resolve_references(parser: SpiffBpmnParser, bundle: ParsedBundle, trees: dict[str, Any],
                        problems: list[Problem], find_process: Resolver | None,
                        find_decision: Resolver | None) -> None:
    """Bring in earlier deployments' files for called processes and decisions the bundle lacks."""
    for _ in range(20):  # included files may themselves call others; the bound stops cycles of misses
        missing_processes = {p for p in parser.get_process_dependencies() if p and p not in parser.process_parsers}
        missing_decisions = {d for d in parser.get_dmn_dependencies() if d and d not in parser.dmn_parsers}
        if not missing_processes and not missing_decisions:
            return
        progress = False
        for ref, finder, kind, adder in (
            *((p, find_process, "called process", parser.add_bpmn_xml) for p in sorted(missing_processes)),
            *((d, find_decision, "decision", parser.add_dmn_xml) for d in sorted(missing_decisions)),
        ):
            found = finder(ref) if finder else None
            if found is None or found[0] in bundle.files:
                caller = _referencing_element(trees, ref, kind)
                problems.append(Problem(caller[0], Message("bundle.missing_reference", MISSING[kind], {"ref": ref}),
                                        element_id=caller[1], line=caller[2]))
                continue
            filename, content = found
            root = etree.fromstring(content)
            trees[filename] = root
            bundle.files[filename] = content
            bundle.included.add(filename)
            adder(root, filename=filename)
            progress = True
        if problems or not progress:
            return


def _referencing_element(trees: dict[str, Any], ref: str, kind: str) -> tuple[str, str | None, int | None]:
    for name, root in trees.items():
        if kind == "called process":
            found = root.xpath("//bpmn:callActivity[@calledElement=$r]", namespaces=NS, r=ref)
        else:
            found = [e.getparent().getparent() for e in
                     root.xpath("//spiffworkflow:calledDecisionId", namespaces=NS) if (e.text or "").strip() == ref]
        if found:
            return name, found[0].get("id"), found[0].sourceline
    return "(bundle)", None, None


def _build_specs(parser: SpiffBpmnParser, bundle: ParsedBundle, trees: dict[str, Any],
                 problems: list[Problem]) -> None:
    executable = parser.get_process_ids()
    if not executable and any(name.endswith(".bpmn") for name in trees):
        problems.append(Problem("(bundle)", Message("bundle.not_executable", N_(
            'no executable process: set isExecutable="true" on the process'))))
        return
    for process_id in executable:
        process_parser = parser.get_process_parser(process_id)
        filename = process_parser.filename or "(bundle)"
        node = process_parser.node
        starts = node.xpath("./bpmn:startEvent", namespaces=NS)
        if not starts:
            problems.append(Problem(filename, Message("bundle.no_start_event", N_("the process has no start event")),
                                    element_id=process_id,
                                    line=node.sourceline))
            continue
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            problems.append(_problem_from_spiff(exc, trees, filename))
            continue
        except SpiffWorkflowException as exc:
            problems.append(Problem(filename, Message("bundle.spiff", VERBATIM, {"detail": str(exc)}),
                                    element_id=process_id, line=node.sourceline))
            continue
        startable = any(not s.xpath("./bpmn:messageEventDefinition|./bpmn:signalEventDefinition",
                                    namespaces=NS) for s in starts)
        bundle.processes[process_id] = ProcessInfo(process_id, node.get("name") or process_id, filename, spec,
                                                   subprocess_specs, startable)
    for decision_id, dmn_parser in parser.dmn_parsers.items():
        bundle.decisions[decision_id] = dmn_parser.filename or ""


_EXPRESSION_SITES = [
    # (xpath, mode, what it is)
    ("//bpmn:conditionExpression", "eval", "condition"),
    ("//bpmn:scriptTask/bpmn:script", "exec", "script"),
    ("//spiffworkflow:preScript", "exec", "pre-script"),
    ("//spiffworkflow:postScript", "exec", "post-script"),
    ("//bpmn:timeDuration|//bpmn:timeDate|//bpmn:timeCycle", "eval", "timer expression"),
    ("//spiffworkflow:messagePayload", "eval", "message payload"),
    ("//bpmn:loopCardinality|//bpmn:completionCondition|//bpmn:loopCondition", "eval", "loop expression"),
    ("//bpmn:correlationPropertyRetrievalExpression/bpmn:messagePath", "eval", "correlation expression"),
    ("//bpmn:formalExpression[parent::bpmn:correlationPropertyRetrievalExpression]", "eval",
     "correlation expression"),
]
# The names of the expression sites in problem messages (translated with them).
WHAT = {"condition": N_("condition"), "script": N_("script"), "pre-script": N_("pre-script"),
        "post-script": N_("post-script"), "timer expression": N_("timer expression"),
        "message payload": N_("message payload"), "loop expression": N_("loop expression"),
        "correlation expression": N_("correlation expression"), "service parameter": N_("service parameter"),
        "DMN inputExpression": N_("DMN inputExpression"), "DMN inputEntry": N_("DMN inputEntry"),
        "DMN outputEntry": N_("DMN outputEntry")}
DMN_SITES = [("inputExpression", "eval"), ("inputEntry", "entry"), ("outputEntry", "eval")]


def _owner_id(element: Any) -> str | None:
    while element is not None:
        if element.get("id") and _local(element.tag) not in ("text",):
            return element.get("id")
        element = element.getparent()
    return None


def _check_expressions(trees: dict[str, Any], problems: list[Problem]) -> None:
    """Compile every expression in the sandbox now, so a typo fails the deployment, not a running case."""
    for name, root in trees.items():
        if name.endswith(".bpmn"):
            for xpath, mode, what in _EXPRESSION_SITES:
                for el in root.xpath(xpath, namespaces=NS):
                    _check_one(name, el, (el.text or "").strip(), mode, what, problems)
            for param in root.xpath("//spiffworkflow:parameter[@value]", namespaces=NS):
                _check_one(name, param, param.get("value", ""), "eval", "service parameter", problems)
        else:
            for tag, mode in DMN_SITES:
                for el in root.iter("{*}" + tag):
                    text_el = next(el.iter("{*}text"), None)
                    text = (text_el.text if text_el is not None else "") or ""
                    _check_one(name, el, text.strip(), mode, f"DMN {tag}", problems)


def _check_one(filename: str, element: Any, source: str, mode: str, what: str,
               problems: list[Problem]) -> None:
    if not source or (mode == "entry" and source == "-"):
        return
    for message, line_offset in expression_problems(source, mode):
        site = Message(f"site.{what}", WHAT.get(what, what))
        problems.append(Problem(filename, Message("bundle.expression", N_("%(what)s `%(source)s`: %(detail)s"),
                                                  {"what": site, "source": _short(source), "detail": message}),
                                element_id=_owner_id(element), line=(element.sourceline or 0) + line_offset or None))


def _short(source: str) -> str:
    one = " ".join(source.split())
    return one if len(one) <= 60 else one[:57] + "..."


def _check_forms(bundle: ParsedBundle, trees: dict[str, Any], problems: list[Problem]) -> None:
    for name, root in trees.items():
        if not name.endswith(".bpmn"):
            continue
        for prop in root.xpath("//spiffworkflow:property[@name='formJsonSchemaFilename' or "
                               "@name='formUiSchemaFilename']", namespaces=NS):
            target = prop.get("value", "")
            if target not in bundle.files:
                problems.append(Problem(name, Message("bundle.missing_form", N_(
                    "the form file '%(target)s' is not in the bundle"), {"target": target}),
                                        element_id=_owner_id(prop), line=prop.sourceline))


def _check_scenarios(bundle: ParsedBundle, trees: dict[str, Any], problems: list[Problem]) -> None:
    """A scenario names a process of the bundle and user tasks its models have (what they do is checked by running
    them: ``engine.services.scenarios``)."""
    tasks = {el.get("id") for root in trees.values()
             for el in root.xpath("//bpmn:userTask|//bpmn:manualTask", namespaces=NS)}
    for name, scenario in sorted(bundle.scenarios.items()):
        if scenario.process not in bundle.processes:
            problems.append(Problem(name, Message("scenario.unknown_process", N_(
                "the scenario runs the process '%(process)s', which this bundle does not have"),
                {"process": scenario.process})))
        for task in sorted(scenario.tasks - tasks):
            problems.append(Problem(name, Message("scenario.unknown_task", N_(
                "a step completes the user task '%(task)s', which no process of this bundle has"), {"task": task}),
                element_id=task))


def form_for(spec: Any) -> tuple[str | None, str | None]:
    """Return the (schema, ui schema) filenames a user task names in its properties."""
    props = (getattr(spec, "extensions", None) or {}).get("properties", {})
    return props.get("formJsonSchemaFilename"), props.get("formUiSchemaFilename")
