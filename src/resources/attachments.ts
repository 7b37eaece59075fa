import type { Permission } from '../auth/permissions';
import { assertPermission } from '../graphql/auth-checker';
import { lowerFirst, snake } from './inflect';
import type { BuiltResource } from './model';
import { parent, type ResourceSpec } from './spec';

/**
 * What attachments point at (the documents resource) and who may list them. The layer knows no
 * module: the documents module names its resource once with `defineAttachmentTarget`.
 */
export interface AttachmentTarget {
  resource: BuiltResource;
  /** @Authorized on every `${T}.attachments` ('documents:read'). */
  read: Permission;
}

type Define = (spec: ResourceSpec) => BuiltResource;

let target: AttachmentTarget | null = null;
/** Owners defined before the target (modules import in any order): linked once it is there. */
const waiting: BuiltResource[] = [];
const links = new Map<BuiltResource, BuiltResource>();

/** `AcademicYear` -> `academic year`, for descriptions. */
const words = (typeName: string) => typeName.replace(/(?<!^)[A-Z]/g, (c) => ` ${c}`).toLowerCase();

/**
 * The definition of an owner's link table, one resource like any other (lists, loaders, service,
 * conformance suite): a parent relation to the owner and one to the document, each with its
 * inverse list; attach and detach need the owner's update permission and the target's read one,
 * and both the owner and the document must be found by the caller (row-level security: a document
 * the caller cannot see is NOT_FOUND, and the link table's policies hide links to it). One table per owner, not one
 * polymorphic table, so that each link has real composite foreign keys to its owner and document.
 *
 * @example
 * attachmentSpec(projects, { resource: documents, read: 'documents:read' }).name; // 'ProjectAttachment'
 */
export function attachmentSpec(owner: BuiltResource, to: AttachmentTarget): ResourceSpec {
  const { spec } = owner;
  const a = spec.attachments!;
  const T = owner.typeName;
  const t = lowerFirst(T);
  const what = words(T);
  const update = owner.model.permissions.update;
  if (!update) throw new Error(`${T}: attachments need permissions.update (attaching is editing the ${what})`);
  return {
    name: `${T}Attachment`,
    table: a.table,
    description: `A document attached to a ${what}.`,
    relations: {
      [t]: parent(() => owner, {
        column: `${snake(t)}_id`,
        field: t,
        input: { create: 'required' },
        mustExist: true,
        // A deleted owner's attachments are out of reach with it (NOT_FOUND on attach and detach).
        requireLive: owner.soft,
        inverse: {
          field: 'attachments',
          description:
            a.description ??
            `Documents attached to the ${what}, oldest first; a document the caller may not see is not listed.`,
          args: 'page',
          read: to.read,
          loaderName: `attachmentsOf${T}`,
        },
      }),
      document: parent(() => to.resource, {
        column: 'document_id',
        field: 'document',
        input: { create: 'required', description: 'A document the caller can see.' },
        mustExist: true,
        inverse: {
          field: `${t}Attachments`,
          description: `The ${owner.model.names.plural.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)} this document is attached to.`,
          args: 'page',
          loaderName: `${t}AttachmentsOfDocument`,
        },
      }),
    },
    columns: {},
    timestamps: { createdAt: true },
    permissions: { read: to.read, create: update, delete: update },
    lists: { orders: { created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' } } },
    mutations: {
      create: {
        name: `attachDocumentTo${T}`,
        inputName: `AttachDocumentTo${T}Input`,
        description: `Attaches a document the caller can see to a ${what} (needs ${update} and ${to.read}).`,
        order: [`${t}Id`, 'documentId'],
      },
      delete: {
        mode: 'hard',
        name: `detachDocumentFrom${T}`,
        inputName: `DetachDocumentFrom${T}Input`,
        description: `Detaches a document from a ${what} (needs ${update} and ${to.read}); the document stays.`,
        by: [`${t}Id`, 'documentId'],
      },
    },
    // The payload and the owner's list show the document: attaching and detaching also need the
    // permission that reads documents (an API key scoped to tasks:update alone has not), besides
    // seeing this document (RLS, found on create).
    rules: {
      beforeCreate: (ctx) => assertPermission(ctx, to.read),
      beforeDelete: (ctx) => assertPermission(ctx, to.read),
    },
    violations: { [`${a.table}_key`]: ['documentId', `The document is attached to the ${what} already`] },
    example: () => ({}),
  };
}

/** Called by defineResource for a resource with `attachments`: its link resource now, or once the target is defined. */
export function linkWhenAttachable(owner: BuiltResource, define: Define): void {
  if (target) links.set(owner, define(attachmentSpec(owner, target)));
  else waiting.push(owner);
}

/** Called by defineAttachmentTarget: links the owners defined so far. */
export function setAttachmentTarget(to: AttachmentTarget, define: Define): void {
  if (target) throw new Error(`the attachment target is ${target.resource.typeName} already`);
  target = to;
  for (const owner of waiting.splice(0)) links.set(owner, define(attachmentSpec(owner, to)));
}

/** The link resource of an owner (ProjectAttachment of projects), once defined. */
export const attachmentsOf = (owner: BuiltResource): BuiltResource | undefined => links.get(owner);

/** At schema build: an owner still waiting would silently have no attachments. */
export function assertAttachmentsLinked(): void {
  if (waiting.length)
    throw new Error(
      `${waiting.map((o) => o.typeName).join(', ')} declare attachments, but no module called defineAttachmentTarget`,
    );
}
