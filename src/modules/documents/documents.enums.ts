import { registerEnumType } from 'type-graphql';
import { DOCUMENT_STATUSES } from '../../db/schema';
import { enumOf } from '../../graphql/enums';

export const DocumentStatusEnum = enumOf(DOCUMENT_STATUSES);

registerEnumType(DocumentStatusEnum, {
  name: 'DocumentStatus',
  description: 'DRAFT, PUBLISHED or ARCHIVED, in any order; deleting is the soft delete (deleteDocument).',
});
