// Documents and files (seed 003). Folders, documents, versions and grants are resources: importing
// the definitions registers them (folders first: documents point at them, the rest at both).
// documents.ts names documents as what attachments point at: the attachments of tasks and
// projects (ProjectAttachment, TaskAttachment) are generated from their `attachments` option.
// Organization.storageUsage is a hand resolver.
import { registerResolvers } from '../../resources';
import { StorageUsageResolver } from './storage-usage.resolver';
import './folders';
import './documents';
import './document-versions';
import './document-permissions';
import './document-activity';
import './document-shares';

registerResolvers(StorageUsageResolver);
