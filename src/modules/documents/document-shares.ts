import {
  Arg,
  Authorized,
  Ctx,
  Field,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Resolver,
  registerEnumType,
} from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import { sql } from 'kysely';
import { BadUserInputError } from '../../errors';
import type { Context } from '../../graphql/context';
import { enumOf } from '../../graphql/enums';
import { findRow } from '../../db/rows';
import { newOrganizationToken } from '../../auth/secret-tokens';
import { col, defineResource, parent } from '../../resources';
import { documents } from './documents';

export const DOCUMENT_SHARE_ACCESS = ['view', 'download'] as const;
export const DocumentShareAccessEnum = enumOf(DOCUMENT_SHARE_ACCESS);
registerEnumType(DocumentShareAccessEnum, {
  name: 'DocumentShareAccess',
  description: 'VIEW: GET /shares/:token answers the file inline (shown in the browser); DOWNLOAD: as an attachment.',
});

/** The longest a share link lives, and its default. */
const MAX_DAYS = 365;
const DEFAULT_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Document share links (seed 003): a link to a document's current version, used without signing
 * in (GET /shares/:token). The token is shown once by createDocumentShare; only its SHA-256 is
 * stored (migration 0026). Creating and revoking need MANAGE on the document (a trigger checks it).
 */
export const documentShares = defineResource({
  name: 'DocumentShare',
  table: 'document_shares',
  description: 'A share link to a document’s current version, used without signing in (GET /shares/:token).',
  relations: {
    document: parent(() => documents, {
      column: 'document_id',
      field: 'document',
      inverse: {
        field: 'shares',
        description: 'The share links of this document (their tokens are never shown again).',
        args: 'page',
        loaderName: 'sharesOfDocument',
      },
    }),
  },
  columns: {
    // Never a field: the token's SHA-256, looked up by app.use_document_share.
    tokenHash: col.text({ expose: false }),
    access: col.enum(DOCUMENT_SHARE_ACCESS, DocumentShareAccessEnum, { dbDefault: true }),
    expiresAt: col.timestamp({ dbDefault: true, description: 'After this the link answers 404.' }),
    maxDownloads: col.int({ nullable: true, description: 'Downloads the link serves at most (null: no limit).' }),
    downloadCount: col.int({ dbDefault: true, description: 'Downloads served so far.' }),
    revokedAt: col.timestamp({ nullable: true, serviceWrites: true, description: 'Set by revokeDocumentShare.' }),
  },
  timestamps: { createdAt: true },
  permissions: { read: 'documents:read' },
  serviceInserts: true,
  mutations: { payload: { field: 'share' } },
  idInputs: ['RevokeDocumentShareInput'],
  lists: { orders: { created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' } } },
  example: (n) => ({ token_hash: n.toString(16).padStart(64, 'c') }),
});

@InputType()
export class CreateDocumentShareInput {
  @Field(() => UUIDResolver)
  documentId!: string;

  @Field(() => DocumentShareAccessEnum, { defaultValue: 'download' })
  access!: (typeof DOCUMENT_SHARE_ACCESS)[number];

  @Field(() => DateTimeResolver, {
    nullable: true,
    description: `When the link stops working: in the future, at most ${MAX_DAYS} days ahead (default ${DEFAULT_DAYS} days).`,
  })
  expiresAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Downloads the link serves at most (null: no limit).' })
  maxDownloads?: number | null;
}

@InputType()
export class RevokeDocumentShareInput {
  @Field(() => UUIDResolver)
  id!: string;
}

@ObjectType()
export class CreateDocumentSharePayload {
  @Field(() => documentShares.Node)
  share!: Record<string, unknown>;

  @Field({ description: 'The link’s token, shown this once: GET /shares/{token}. Only its hash is kept.' })
  token!: string;
}

/** createDocumentShare (the token shown once) and revokeDocumentShare. */
@Resolver(() => documentShares.Node)
export class DocumentShareResolver extends documentShares.BaseResolver {
  @Authorized('documents:write')
  @Mutation(() => CreateDocumentSharePayload, {
    description:
      'Creates a share link to a document (needs MANAGE on it, or documents:manage); the token is shown once.',
  })
  async createDocumentShare(
    @Arg('input', () => CreateDocumentShareInput) input: CreateDocumentShareInput,
    @Ctx() ctx: Context,
  ): Promise<CreateDocumentSharePayload> {
    const now = Date.now();
    const expiresAt = input.expiresAt ?? new Date(now + DEFAULT_DAYS * DAY_MS);
    if (expiresAt.getTime() <= now || expiresAt.getTime() > now + MAX_DAYS * DAY_MS)
      throw new BadUserInputError('expiresAt', `expiresAt must be in the future and at most ${MAX_DAYS} days ahead`);
    if (input.maxDownloads != null && input.maxDownloads < 1)
      throw new BadUserInputError('maxDownloads', 'maxDownloads must be at least 1 (null: no limit)');
    const db = await ctx.db.get();
    const document = await findRow(db, 'documents', input.documentId, 'Document');
    const { token, hash } = newOrganizationToken('ds', document.organization_id);
    const share = await db
      .insertInto('document_shares')
      .values({
        organization_id: document.organization_id,
        document_id: document.id,
        token_hash: hash,
        access: input.access,
        expires_at: expiresAt,
        max_downloads: input.maxDownloads ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return Object.assign(new CreateDocumentSharePayload(), { share: documentShares.fromRow(share), token });
  }

  @Authorized('documents:write')
  @Mutation(() => documentShares.Payload, {
    description: 'Revokes a share link at once (needs MANAGE on its document); revoking twice changes nothing.',
  })
  async revokeDocumentShare(
    @Arg('input', () => RevokeDocumentShareInput) input: RevokeDocumentShareInput,
    @Ctx() ctx: Context,
  ): Promise<object> {
    const db = await ctx.db.get();
    const current = await findRow(db, 'document_shares', input.id, 'DocumentShare');
    const share = current.revoked_at
      ? current
      : await db
          .updateTable('document_shares')
          .set({ revoked_at: sql<Date>`now()` })
          .where('id', '=', input.id)
          .returningAll()
          .executeTakeFirstOrThrow();
    return Object.assign(new documentShares.Payload(), { share: documentShares.fromRow(share) });
  }
}
documentShares.useResolver(DocumentShareResolver);
