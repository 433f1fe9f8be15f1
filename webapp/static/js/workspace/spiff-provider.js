// Properties-panel groups for the SpiffWorkflow properties our models use. Element and attribute names follow
// SpiffArena's bpmn-js-spiffworkflow extension (spiffworkflow.json here), so a model stays readable there and
// SpiffWorkflow's parser reads what we write:
//   bpmn:script (script tasks), spiffworkflow:preScript / postScript (any activity), bpmn:conditionExpression
//   (sequence flows), calledElement (call activities), spiffworkflow:calledDecisionId (business rule tasks),
//   spiffworkflow:properties/property (form file names, due dates, ...), spiffworkflow:instructionsForEndUser,
//   spiffworkflow:serviceTaskOperator with its parameters, spiffworkflow:messagePayload / messageVariable on the
//   bpmn:message a message event refers to. Timers, lanes, names, ids and documentation come from the stock
//   bpmn-js properties provider.
import {
  ListGroup, Group, SelectEntry, TextAreaEntry, TextFieldEntry,
  isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import { t } from './i18n.js';

const MULTI = 'properties-panel.multi-command-executor';
const FORM_SCHEMA = 'formJsonSchemaFilename';
const FORM_UISCHEMA = 'formUiSchemaFilename';

// -- extension element helpers ---------------------------------------------------------------------------------

function extensionsOf(bo) {
  const ext = bo.get('extensionElements');
  return ext ? ext.get('values') : [];
}

function findExtension(bo, type) {
  return extensionsOf(bo).find((v) => is(v, type));
}

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

// Commands that make sure `bo` has an extension element of `type`; returns [commands, the extension element].
function ensureExtension(element, bo, type, attrs, bpmnFactory) {
  const commands = [];
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    commands.push(update(element, bo, { extensionElements: ext }));
  }
  let child = ext.get('values').find((v) => is(v, type));
  if (!child) {
    child = bpmnFactory.create(type, attrs || {});
    child.$parent = ext;
    commands.push(update(element, ext, { values: [...ext.get('values'), child] }));
  }
  return [commands, child];
}

// Commands that remove one extension element (and an extensionElements left empty).
function removeExtension(element, bo, child) {
  const ext = bo.get('extensionElements');
  const rest = ext.get('values').filter((v) => v !== child);
  return rest.length ? [update(element, ext, { values: rest })] : [update(element, bo, { extensionElements: undefined })];
}

// A text-bodied extension (preScript, postScript, instructionsForEndUser, calledDecisionId, messagePayload, ...).
function BodyExtensionEntry(props) {
  const { element, id, label, type, target, area, monospace, description } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const bo = target || getBusinessObject(element);
  const getValue = () => {
    const child = findExtension(bo, type);
    return (child && child.get('value')) || '';
  };
  const setValue = (value) => {
    const child = findExtension(bo, type);
    if (!value) {
      if (child) { commandStack.execute(MULTI, removeExtension(element, bo, child)); }
      return;
    }
    if (child) {
      commandStack.execute('element.updateModdleProperties', { element, moddleElement: child, properties: { value } });
      return;
    }
    const [commands] = ensureExtension(element, bo, type, { value }, bpmnFactory);
    commandStack.execute(MULTI, commands);
  };
  const Entry = area ? TextAreaEntry : TextFieldEntry;
  return Entry({ element, id, label, description, getValue, setValue, debounce, monospace, rows: area ? 6 : undefined });
}

function bodyEntry(element, id, label, type, opts) {
  return {
    id, element, label, type, ...(opts || {}),
    component: BodyExtensionEntry,
    isEdited: opts && opts.area ? isTextAreaEntryEdited : isTextFieldEntryEdited,
  };
}

// -- spiffworkflow:properties ------------------------------------------------------------------------------------

function propertiesOf(bo) {
  const holder = findExtension(bo, 'spiffworkflow:Properties');
  return holder ? holder.get('properties') : [];
}

function findProperty(bo, name) {
  return propertiesOf(bo).find((p) => p.get('name') === name);
}

// One named property as a plain text field (the form file names).
function NamedPropertyEntry(props) {
  const { element, id, label, name } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const getValue = () => {
    const prop = findProperty(bo, name);
    return (prop && prop.get('value')) || '';
  };
  const setValue = (value) => {
    const prop = findProperty(bo, name);
    if (prop && value) {
      commandStack.execute('element.updateModdleProperties', { element, moddleElement: prop, properties: { value } });
    } else if (prop) {
      const holder = prop.$parent;
      const rest = holder.get('properties').filter((p) => p !== prop);
      commandStack.execute(MULTI, rest.length ? [update(element, holder, { properties: rest })]
        : removeExtension(element, bo, holder));
    } else if (value) {
      const [commands, holder] = ensureExtension(element, bo, 'spiffworkflow:Properties', { properties: [] },
        bpmnFactory);
      const created = bpmnFactory.create('spiffworkflow:Property', { name, value });
      created.$parent = holder;
      commands.push(update(element, holder, { properties: [...holder.get('properties'), created] }));
      commandStack.execute(MULTI, commands);
    }
  };
  return TextFieldEntry({ element, id, label, getValue, setValue, debounce });
}

// A field (name or value) of one property in the "extra properties" list.
function PropertyFieldEntry(props) {
  const { element, id, label, property, field } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return TextFieldEntry({
    element, id, label, debounce,
    getValue: () => property.get(field) || '',
    setValue: (value) => commandStack.execute('element.updateModdleProperties',
      { element, moddleElement: property, properties: { [field]: value } }),
  });
}

function PropertiesGroup(element, injector) {
  const bo = getBusinessObject(element);
  const commandStack = injector.get('commandStack');
  const bpmnFactory = injector.get('bpmnFactory');
  const shown = is(element, 'bpmn:UserTask') || is(element, 'bpmn:ManualTask') ? [FORM_SCHEMA, FORM_UISCHEMA] : [];
  const props = propertiesOf(bo).filter((p) => !shown.includes(p.get('name')));
  const items = props.map((property, index) => {
    const base = `spiff-property-${index}`;
    return {
      id: base,
      label: property.get('name') || '…',
      entries: [
        { id: `${base}-name`, element, property, field: 'name', label: t('prop_name'), component: PropertyFieldEntry },
        { id: `${base}-value`, element, property, field: 'value', label: t('prop_value'), component: PropertyFieldEntry },
      ],
      autoFocusEntry: `${base}-name`,
      remove: () => {
        const holder = property.$parent;
        const rest = holder.get('properties').filter((p) => p !== property);
        commandStack.execute(MULTI, rest.length ? [update(element, holder, { properties: rest })]
          : removeExtension(element, bo, holder));
      },
    };
  });
  const add = (event) => {
    event.stopPropagation();
    const [commands, holder] = ensureExtension(element, bo, 'spiffworkflow:Properties', { properties: [] },
      bpmnFactory);
    const created = bpmnFactory.create('spiffworkflow:Property', { name: '', value: '' });
    created.$parent = holder;
    commands.push(update(element, holder, { properties: [...holder.get('properties'), created] }));
    commandStack.execute(MULTI, commands);
  };
  return { id: 'spiff-properties', label: t('g_properties'), component: ListGroup, items, add };
}

// -- bpmn-level entries ------------------------------------------------------------------------------------------

function ScriptEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return TextAreaEntry({
    element, id, label: t('script'), debounce, monospace: true, rows: 10,
    getValue: () => bo.get('script') || '',
    setValue: (value) => modeling.updateProperties(element, { script: value || undefined }),
  });
}

function conditionAllowed(element) {
  if (!is(element, 'bpmn:SequenceFlow')) { return false; }
  const source = element.source && getBusinessObject(element.source);
  if (!source || source.get('default') === getBusinessObject(element)) { return false; }
  return isAny(source, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway', 'bpmn:Activity']);
}

function ConditionEntry(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const getValue = () => {
    const expr = bo.get('conditionExpression');
    return (expr && expr.get('body')) || '';
  };
  const setValue = (value) => {
    const expr = bo.get('conditionExpression');
    if (!value) {
      commandStack.execute('element.updateModdleProperties',
        { element, moddleElement: bo, properties: { conditionExpression: undefined } });
    } else if (expr) {
      commandStack.execute('element.updateModdleProperties',
        { element, moddleElement: expr, properties: { body: value } });
    } else {
      const created = bpmnFactory.create('bpmn:FormalExpression', { body: value });
      created.$parent = bo;
      commandStack.execute('element.updateModdleProperties',
        { element, moddleElement: bo, properties: { conditionExpression: created } });
    }
  };
  return TextAreaEntry({
    element, id, label: t('condition'), description: t('condition_help'), debounce, monospace: true, rows: 2,
    getValue, setValue,
  });
}

function CalledElementEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return TextFieldEntry({
    element, id, label: t('called_element'), debounce,
    getValue: () => bo.get('calledElement') || '',
    setValue: (value) => modeling.updateProperties(element, { calledElement: value || undefined }),
  });
}

// -- service task operator ---------------------------------------------------------------------------------------

function operatorOf(bo) {
  return findExtension(bo, 'spiffworkflow:ServiceTaskOperator');
}

function OperatorFieldEntry(props) {
  const { element, id, label, field } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return TextFieldEntry({
    element, id, label, debounce,
    getValue: () => { const op = operatorOf(bo); return (op && op.get(field)) || ''; },
    setValue: (value) => {
      const op = operatorOf(bo);
      if (op) {
        commandStack.execute('element.updateModdleProperties',
          { element, moddleElement: op, properties: { [field]: value || undefined } });
        return;
      }
      const [commands, created] = ensureExtension(element, bo, 'spiffworkflow:ServiceTaskOperator',
        { [field]: value }, bpmnFactory);
      const params = bpmnFactory.create('spiffworkflow:Parameters', { parameters: [] });
      params.$parent = created;
      created.set('parameterList', params);
      commandStack.execute(MULTI, commands);
    },
  });
}

function ParameterFieldEntry(props) {
  const { element, id, label, parameter, field } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const setValue = (value) => commandStack.execute('element.updateModdleProperties',
    { element, moddleElement: parameter, properties: { [field]: value } });
  const getValue = () => parameter.get(field) || '';
  if (field === 'type') {
    const known = ['any', 'str', 'int', 'float', 'bool', 'list', 'dict'];
    return SelectEntry({
      element, id, label, getValue, setValue,
      getOptions: () => {
        const current = getValue();
        const values = current && !known.includes(current) ? [current, ...known] : known;
        return values.map((v) => ({ value: v, label: v }));
      },
    });
  }
  return TextFieldEntry({ element, id, label, debounce, getValue, setValue });
}

function ParametersGroup(element, injector) {
  const bo = getBusinessObject(element);
  const commandStack = injector.get('commandStack');
  const bpmnFactory = injector.get('bpmnFactory');
  const op = operatorOf(bo);
  const list = op && op.get('parameterList');
  const params = list ? list.get('parameters') : [];
  const items = params.map((parameter, index) => {
    const base = `spiff-parameter-${index}`;
    return {
      id: base,
      label: parameter.get('id') || '…',
      entries: [
        { id: `${base}-id`, element, parameter, field: 'id', label: t('param_id'), component: ParameterFieldEntry },
        { id: `${base}-type`, element, parameter, field: 'type', label: t('param_type'), component: ParameterFieldEntry,
          isEdited: isSelectEntryEdited },
        { id: `${base}-value`, element, parameter, field: 'value', label: t('param_value'),
          component: ParameterFieldEntry },
      ],
      autoFocusEntry: `${base}-id`,
      remove: () => commandStack.execute('element.updateModdleProperties', {
        element, moddleElement: list, properties: { parameters: params.filter((p) => p !== parameter) },
      }),
    };
  });
  const add = (event) => {
    event.stopPropagation();
    let commands = [];
    let operator = op;
    if (!operator) {
      [commands, operator] = ensureExtension(element, bo, 'spiffworkflow:ServiceTaskOperator', {}, bpmnFactory);
    }
    let holder = operator.get('parameterList');
    if (!holder) {
      holder = bpmnFactory.create('spiffworkflow:Parameters', { parameters: [] });
      holder.$parent = operator;
      commands.push(update(element, operator, { parameterList: holder }));
    }
    const created = bpmnFactory.create('spiffworkflow:Parameter', { id: '', type: 'any', value: '' });
    created.$parent = holder;
    commands.push(update(element, holder, { parameters: [...holder.get('parameters'), created] }));
    commandStack.execute(MULTI, commands);
  };
  return { id: 'spiff-parameters', label: t('g_parameters'), component: ListGroup, items, add };
}

// -- messages ------------------------------------------------------------------------------------------------------

function messageOf(element) {
  const bo = getBusinessObject(element);
  const definitions = bo.get('eventDefinitions') || [];
  const def = definitions.find((d) => is(d, 'bpmn:MessageEventDefinition'));
  if (def) { return def.get('messageRef'); }
  if (isAny(bo, ['bpmn:SendTask', 'bpmn:ReceiveTask'])) { return bo.get('messageRef'); }
  return null;
}

// -- the provider ----------------------------------------------------------------------------------------------

function group(id, label, entries) {
  return entries.length ? { id, label, component: Group, entries } : null;
}

export default class SpiffPropertiesProvider {
  constructor(propertiesPanel, injector) {
    propertiesPanel.registerProvider(500, this);
    this._injector = injector;
  }

  getGroups(element) {
    return (groups) => {
      const injector = this._injector;
      const mine = [];
      if (is(element, 'bpmn:ScriptTask')) {
        mine.push(group('spiff-script', t('g_script'), [{ id: 'spiff-script-body', element, component: ScriptEntry,
          isEdited: isTextAreaEntryEdited }]));
      }
      if (conditionAllowed(element)) {
        mine.push(group('spiff-condition', t('g_condition'), [{ id: 'spiff-condition-body', element,
          component: ConditionEntry, isEdited: isTextAreaEntryEdited }]));
      }
      if (is(element, 'bpmn:CallActivity')) {
        mine.push(group('spiff-call', t('g_call'), [{ id: 'spiff-called-element', element,
          component: CalledElementEntry, isEdited: isTextFieldEntryEdited }]));
      }
      if (is(element, 'bpmn:BusinessRuleTask')) {
        mine.push(group('spiff-decision', t('g_decision'), [bodyEntry(element, 'spiff-called-decision',
          t('decision_id'), 'spiffworkflow:CalledDecisionId')]));
      }
      if (isAny(element, ['bpmn:UserTask', 'bpmn:ManualTask'])) {
        const form = [];
        if (is(element, 'bpmn:UserTask')) {
          form.push({ id: 'spiff-form-schema', element, name: FORM_SCHEMA, label: t('form_schema'),
            component: NamedPropertyEntry, isEdited: isTextFieldEntryEdited });
          form.push({ id: 'spiff-form-uischema', element, name: FORM_UISCHEMA, label: t('form_uischema'),
            component: NamedPropertyEntry, isEdited: isTextFieldEntryEdited });
        }
        form.push(bodyEntry(element, 'spiff-instructions', t('instructions'), 'spiffworkflow:InstructionsForEndUser',
          { area: true }));
        mine.push(group('spiff-form', t('g_form'), form));
      }
      if (is(element, 'bpmn:ServiceTask')) {
        mine.push(group('spiff-service', t('g_service'), [
          { id: 'spiff-operator', element, field: 'id', label: t('operator'), component: OperatorFieldEntry,
            isEdited: isTextFieldEntryEdited },
          { id: 'spiff-result-variable', element, field: 'resultVariable', label: t('result_variable'),
            component: OperatorFieldEntry, isEdited: isTextFieldEntryEdited },
        ]));
        mine.push(ParametersGroup(element, injector));
      }
      if (is(element, 'bpmn:Activity')) {
        mine.push(group('spiff-scripts', `${t('pre_script')} / ${t('post_script')}`, [
          bodyEntry(element, 'spiff-prescript', t('pre_script'), 'spiffworkflow:PreScript',
            { area: true, monospace: true }),
          bodyEntry(element, 'spiff-postscript', t('post_script'), 'spiffworkflow:PostScript',
            { area: true, monospace: true }),
        ]));
      }
      const message = messageOf(element);
      if (message) {
        mine.push(group('spiff-message', t('g_message'), [
          bodyEntry(element, 'spiff-message-payload', t('message_payload'), 'spiffworkflow:MessagePayload',
            { target: message, area: true, monospace: true }),
          bodyEntry(element, 'spiff-message-variable', t('message_variable'), 'spiffworkflow:MessageVariable',
            { target: message }),
        ]));
      }
      if (isAny(element, ['bpmn:Activity', 'bpmn:Event', 'bpmn:Gateway']) || propertiesOf(getBusinessObject(element)).length) {
        mine.push(PropertiesGroup(element, injector));
      }
      // Ours follow "General" and "Documentation" (and the stock timer group stays where it is).
      const at = Math.min(groups.findIndex((g) => g.id === 'documentation') + 1 || 1, groups.length);
      groups.splice(at, 0, ...mine.filter(Boolean));
      return groups;
    };
  }
}

SpiffPropertiesProvider.$inject = ['propertiesPanel', 'injector'];

export const SpiffPropertiesModule = {
  __init__: ['spiffPropertiesProvider'],
  spiffPropertiesProvider: ['type', SpiffPropertiesProvider],
};
