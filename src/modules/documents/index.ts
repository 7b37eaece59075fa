// Documents and files (seed 003). Folders, documents, versions, grants and task attachments are
// resources: importing the definitions registers them (folders first: documents point at them,
// the rest at both). Organization.storageUsage is a hand resolver.
import { registerResolvers } from '../../resources';
import { StorageUsageResolver } from './storage-usage.resolver';
import './folders';
import './documents';
import './document-versions';
import './document-permissions';
import './task-attachments';
import './document-activity';
import './document-shares';

registerResolvers(StorageUsageResolver);
