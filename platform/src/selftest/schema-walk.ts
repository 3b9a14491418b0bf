/**
 * Turns the live schema into probes: for every root field that takes an ID-like argument (an `ID`,
 * a `…Id`/`…Ids` argument, or such a field of an input object, at any depth), calls that put
 * tenant A's ids (and names) where the field expects them. Every query field is probed too (a
 * listing must not contain A's ids). Pure: the schema and A's ids in, documents and variables out.
 */
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';

export type ResourceKind = 'tenant' | 'dataset' | 'datasetVersion' | 'datasetUpload' | 'model' | 'modelVersion' | 'modelUpload' | 'job';

/** What tenant A owns for the run: ids by kind, and the names it gave them. */
export interface ForeignResources {
  ids: Partial<Record<ResourceKind, string>>;
  /** The one name A gave its dataset and model (`modelByName`, `predict(modelName)` …). */
  name: string;
  /** The model alias A set. */
  alias: string;
  /**
   * Values for argument paths the names cannot guess, by their last two segments (e.g.
   * `inputs.name`: the model's input name, so A's own `predict` control really runs).
   */
  hints?: Record<string, unknown>;
}

export type RootOperation = 'query' | 'mutation' | 'subscription';

export interface Probe {
  operation: RootOperation;
  field: string;
  /** `dataset(id=dataset)`: the field and what was put where, for the report. */
  label: string;
  document: string;
  variables: Record<string, unknown>;
  /** Whether any of A's ids or names is in the arguments (listings carry none). */
  targetsForeign: boolean;
}

interface Slot {
  /** Argument path, e.g. ['input', 'modelId']. */
  path: string[];
  required: boolean;
  kind: ResourceKind | 'unknown' | 'name' | 'alias' | 'confirm';
}

const kindsByName: Array<[RegExp, ResourceKind]> = [
  [/datasetversion/, 'datasetVersion'],
  [/modelversion/, 'modelVersion'],
  [/dataset.*upload|upload.*dataset/, 'datasetUpload'],
  [/model.*upload|upload.*model/, 'modelUpload'],
  [/dataset/, 'dataset'],
  [/model/, 'model'],
  [/job/, 'job'],
  [/tenant/, 'tenant'],
];

function kindFromName(name: string): ResourceKind | undefined {
  const lower = name.toLowerCase();
  return kindsByName.find(([pattern]) => pattern.test(lower))?.[1];
}

const idLikeName = /(^id$|^ids$|Id$|Ids$)/;

function isIdLike(name: string, type: GraphQLInputType): boolean {
  const named = getNamedType(type);
  return isScalarType(named) && (named.name === 'ID' || ((named.name === 'String') && idLikeName.test(name)));
}

/** A's value for a slot: the id of the matching kind (the argument's name first, then the field's). */
function slotKind(argName: string, fieldName: string, type: GraphQLInputType): Slot['kind'] | undefined {
  const named = getNamedType(type);
  if (isIdLike(argName, type)) {
    const fromArg = argName === 'id' || argName === 'ids' ? undefined : kindFromName(argName);
    const fromUpload = /upload/i.test(argName) ? kindFromName(`${fieldName}${argName}`) : undefined;
    return fromUpload ?? fromArg ?? kindFromName(fieldName) ?? 'unknown';
  }
  if (isScalarType(named) && named.name === 'String') {
    if (argName === 'confirm') return 'confirm';
    if (argName === 'alias') return 'alias';
    if (/^(name|modelName|datasetName)$/.test(argName)) return 'name';
  }
  return undefined;
}

function hintFor(path: string[], hints: Record<string, unknown> | undefined): { value: unknown } | undefined {
  const key = path.slice(-2).join('.');
  return hints && Object.prototype.hasOwnProperty.call(hints, key) ? { value: hints[key] } : undefined;
}

function collectSlots(fieldName: string, args: ReadonlyArray<{ name: string; type: GraphQLInputType }>, prefix: string[], depth: number, slots: Slot[], hints: Record<string, unknown> | undefined): void {
  for (const arg of args) {
    if (hintFor([...prefix, arg.name], hints)) continue;
    const required = isNonNullType(arg.type);
    const kind = slotKind(arg.name, fieldName, arg.type);
    if (kind) {
      slots.push({ path: [...prefix, arg.name], required, kind });
      continue;
    }
    const named = getNamedType(arg.type);
    if (isInputObjectType(named) && depth < 4) {
      collectSlots(fieldName, Object.values(named.getFields()), [...prefix, arg.name], depth + 1, slots, hints);
    }
  }
}

function valueForSlot(kind: Slot['kind'], foreign: ForeignResources, unknownAs: string): string {
  if (kind === 'name') return foreign.name;
  if (kind === 'alias') return foreign.alias;
  if (kind === 'confirm') return foreign.ids.tenant ?? unknownAs;
  if (kind === 'unknown') return unknownAs;
  return foreign.ids[kind] ?? unknownAs;
}

/** A plausible value of a type; `chosen` holds A's values by argument path ("input.modelId"). */
function plausibleValue(type: GraphQLInputType, path: string[], chosen: Map<string, string>, depth: number, hints?: Record<string, unknown>): unknown {
  if (isNonNullType(type)) return plausibleValue(type.ofType, path, chosen, depth, hints);
  const key = path.join('.');
  if (chosen.has(key)) return isListType(type) ? [chosen.get(key)] : chosen.get(key);
  const hint = hintFor(path, hints);
  if (hint) return hint.value;
  if (isListType(type)) return [plausibleValue(type.ofType, path, chosen, depth, hints)];
  if (isEnumType(type)) return type.getValues()[0]?.value ?? null;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const fieldPath = [...path, field.name];
      const wanted = chosen.has(fieldPath.join('.')) || [...chosen.keys()].some((k) => k.startsWith(`${fieldPath.join('.')}.`)) || hintFor(fieldPath, hints) !== undefined;
      if (isNonNullType(field.type) || wanted) value[field.name] = depth < 6 ? plausibleValue(field.type, fieldPath, chosen, depth + 1, hints) : null;
    }
    return value;
  }
  const last = path[path.length - 1] ?? '';
  switch (type.name) {
    case 'Int':
      return 1;
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return /^(from|since|start)/i.test(last) ? new Date(Date.now() - 3_600_000).toISOString() : new Date().toISOString();
    default:
      return 'selftest';
  }
}

function typeString(type: GraphQLInputType): string {
  return String(type);
}

/** Scalars of the field's type, and the scalars of its object fields one level down (ids of related objects included). */
export function selectionFor(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return '';
  if (!isObjectType(named)) return '{ __typename }';
  const parts: string[] = ['__typename'];
  for (const field of Object.values((named as GraphQLObjectType).getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) continue;
    const inner = getNamedType(field.type);
    if (isScalarType(inner) || isEnumType(inner)) parts.push(field.name);
    else if (isObjectType(inner) && depth < 1) {
      const nested = selectionFor(field.type, depth + 1);
      if (nested !== '{ __typename }') parts.push(`${field.name} ${nested}`);
    }
  }
  return `{ ${parts.join(' ')} }`;
}

function probeFor(operation: RootOperation, field: GraphQLField<unknown, unknown>, chosen: Map<string, string>, label: string, targetsForeign: boolean, hints?: Record<string, unknown>): Probe {
  const variables: Record<string, unknown> = {};
  const declarations: string[] = [];
  const args: string[] = [];
  for (const arg of field.args) {
    const wanted = chosen.has(arg.name) || [...chosen.keys()].some((k) => k.startsWith(`${arg.name}.`));
    if (!isNonNullType(arg.type) && !wanted) continue;
    variables[arg.name] = plausibleValue(arg.type, [arg.name], chosen, 0, hints);
    declarations.push(`$${arg.name}: ${typeString(arg.type)}`);
    args.push(`${arg.name}: $${arg.name}`);
  }
  const header = `${operation} SelftestProbe${declarations.length ? `(${declarations.join(', ')})` : ''}`;
  const call = `${field.name}${args.length ? `(${args.join(', ')})` : ''}`;
  return { operation, field: field.name, label, document: `${header} { ${call} ${selectionFor(field.type)} }`, variables, targetsForeign };
}

const allKinds: ResourceKind[] = ['dataset', 'datasetVersion', 'datasetUpload', 'model', 'modelVersion', 'modelUpload', 'job', 'tenant'];

/**
 * The probes of one root field: one with every ID-like and name-like slot filled with A's values,
 * and, where optional slots exclude each other ("exactly one of modelId and modelName"), one per
 * optional slot. A slot whose kind the names do not tell is tried with each of A's ids.
 */
export function probesForField(operation: RootOperation, field: GraphQLField<unknown, unknown>, foreign: ForeignResources): Probe[] {
  const collected: Slot[] = [];
  collectSlots(field.name, field.args, [], 0, collected, foreign.hints);
  // Names are per tenant: B may create its own "x" beside A's; only lookups by name are probed.
  const slots = operation === 'mutation' ? collected.filter((slot) => slot.kind !== 'name') : collected;
  const idSlots = slots.filter((slot) => slot.kind !== 'confirm');
  if (idSlots.length === 0) {
    // Mutations that target nothing of A's would only change B: not probed.
    return operation === 'mutation' ? [] : [probeFor(operation, field, new Map(), `${field.name}`, false, foreign.hints)];
  }
  const variants: Slot[][] = [slots];
  const optional = idSlots.filter((slot) => !slot.required);
  if (optional.length > 1) {
    const requiredSlots = slots.filter((slot) => slot.required || slot.kind === 'confirm' || slot.kind === 'alias');
    for (const slot of optional) if (slot.kind !== 'alias') variants.push([...new Set([...requiredSlots, slot])]);
  }
  const probes: Probe[] = [];
  const seen = new Set<string>();
  for (const variant of variants) {
    const unknown = variant.some((slot) => slot.kind === 'unknown');
    const fillers = unknown ? allKinds.filter((kind) => foreign.ids[kind]).map((kind) => ({ kind, id: foreign.ids[kind]! })) : [{ kind: undefined, id: 'selftest-unknown' }];
    for (const filler of fillers) {
      const chosen = new Map<string, string>();
      for (const slot of variant) chosen.set(slot.path.join('.'), valueForSlot(slot.kind, foreign, filler.id));
      const label = `${field.name}(${variant.map((slot) => `${slot.path.join('.')}=${slot.kind === 'unknown' ? filler.kind : slot.kind}`).join(', ')})`;
      if (seen.has(label)) continue;
      seen.add(label);
      probes.push(probeFor(operation, field, chosen, label, true, foreign.hints));
    }
  }
  return probes;
}

export function probesForSchema(schema: GraphQLSchema, foreign: ForeignResources): Probe[] {
  const roots: Array<[RootOperation, GraphQLObjectType | null | undefined]> = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  return roots.flatMap(([operation, type]) => (type ? Object.values(type.getFields()).flatMap((field) => probesForField(operation, field, foreign)) : []));
}
