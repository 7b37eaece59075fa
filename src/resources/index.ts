export { defineResource, defineAttachmentTarget } from './define';
export { attachmentsOf } from './attachments';
export { col, parent, external, type ResourceSpec, type ExternalRef, type ColumnSpec, type ParentSpec } from './spec';
export type { BuiltResource } from './model';
export { registry, registerResolvers, registerPrefetched, type GeneratedMutation } from './registry';
export { withRelated } from './prefetch';
