import type { ResourceSpec } from './spec';

/**
 * Every name the layer generates, from one place (PostGraphile's "inflection"). Each one is
 * checked for `_`: graphql-jit falls back to the slow path for response names with one
 * (src/graphql/compiled-execution.ts), so a generated field never has it.
 */
export const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
export const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
/** `startDate` -> `start_date`. */
export const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** `team_id` -> `teamId`. */
export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Refuses a generated GraphQL field or type name with `_` (or anything GraphQL would not accept). */
export function checkName(name: string, what: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name))
    throw new Error(`${what} '${name}': generated names are letters and digits only`);
  return name;
}

export type Names = ReturnType<typeof inflect>;

/** The names of one resource's types, fields, inputs and loaders. */
export function inflect(spec: ResourceSpec) {
  const T = spec.name;
  const t = lowerFirst(T);
  const Plural = spec.plural ?? `${T}s`;
  const plural = lowerFirst(Plural);
  /** `academicYears` -> `academic years`, for descriptions. */
  const words = plural.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
  const m = spec.mutations ?? {};
  const del = m.delete || undefined;
  const names = {
    type: T,
    plural,
    connection: `${T}Connection`,
    filter: `${T}Filter`,
    filterDescription:
      (spec.lists?.filter || undefined)?.description ?? `Conditions on ${words}; every one given must hold.`,
    order: `${T}Order`,
    listArgs: `${T}ListArgs`,
    rootList: (spec.lists?.root && spec.lists.root.name) || plural,
    byId: (spec.lists?.byId && spec.lists.byId.name) || t,
    create: (m.create && m.create.name) || `create${T}`,
    update: (m.update && m.update.name) || `update${T}`,
    delete: del?.name ?? `delete${T}`,
    restore: (m.restore && m.restore.name) || `restore${T}`,
    createInput: (m.create && m.create.inputName) || `Create${T}Input`,
    updateInput: (m.update && m.update.inputName) || `Update${T}Input`,
    deleteInput: del?.inputName ?? `Delete${T}Input`,
    restoreInput: (m.restore && m.restore.inputName) || `Restore${T}Input`,
    payload: m.payload?.name ?? `${T}Payload`,
    payloadField: m.payload?.field ?? t,
    deletePayload: del?.payloadName ?? `Delete${T}Payload`,
    deletedIdField: del?.payloadField ?? `deleted${T}Id`,
    byIdLoader: `${t}ById`,
    rootLoader: `${plural}OfOrganization`,
    includeDeletedDescription: `Include deleted ${words} (needs ${spec.permissions.seeDeleted ?? spec.permissions.delete}).`,
  };
  for (const [key, name] of Object.entries(names)) {
    if (key !== 'filterDescription' && key !== 'includeDeletedDescription') checkName(name, `${T}: ${key}`);
  }
  return names;
}

/** The loader of a list under a parent type: `teamsOfOrganization`. */
export const parentListLoader = (plural: string, parentType: string): string => `${plural}Of${parentType}`;
