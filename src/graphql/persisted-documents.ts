import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { GraphQLError, Kind, parse } from 'graphql';
import type { ApiKeyPrincipal, Context } from './context';
import { unavailableOrRethrow } from './errors';
import { UnauthenticatedError } from '../errors';

/** `sha256:<64 hex>` (the manifest's form and `documentId`) or the bare hex of Apollo's APQ. */
const DOCUMENT_ID = /^(?:sha256:)?([0-9a-f]{64})$/i;

/** The hash Apollo's automatic persisted queries and the manifest both use: sha256 of the text. */
export function documentHash(document: string): string {
  return crypto.createHash('sha256').update(document).digest('hex');
}

/** The bare lowercase hex of a document id or APQ hash; null when it is neither. */
export function parseDocumentId(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  const match = DOCUMENT_ID.exec(id);
  return match ? match[1]!.toLowerCase() : null;
}

/**
 * The trusted documents: the operations registered in `schema/operations/` and written by
 * `npm run codegen` to the persisted-documents manifest (`{"sha256:<hash>": "<document>"}`).
 * Every entry's hash is checked on load, so an edited manifest cannot smuggle in a document
 * under another operation's id.
 *
 * @example
 * const documents = PersistedDocuments.load(PERSISTED_DOCUMENTS_FILE);
 * documents.get('sha256:34aa29…'); // the registered document text, or undefined
 */
export class PersistedDocuments {
  protected readonly byHash = new Map<string, string>();

  constructor(manifest: Record<string, string>) {
    for (const [id, document] of Object.entries(manifest)) this.put(id, document);
  }

  /** Reads and checks a manifest file; a missing or malformed one stops the server with the reason. */
  static load(file: string): PersistedDocuments {
    let manifest: unknown;
    try {
      manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(
        `cannot read the persisted-operations manifest ${file} (run \`npm run codegen\`): ${(error as Error).message}`,
      );
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw new Error(`the persisted-operations manifest ${file} must be a JSON object of id -> document`);
    }
    return new PersistedDocuments(manifest as Record<string, string>);
  }

  protected put(id: string, document: unknown): void {
    const hash = parseDocumentId(id);
    if (!hash || typeof document !== 'string' || documentHash(document) !== hash) {
      throw new Error(`persisted-operations manifest: entry ${JSON.stringify(id)} is not the sha256 of its document`);
    }
    this.byHash.set(hash, document);
  }

  /** The registered document of an id (`sha256:<hex>` or `<hex>`), if there is one. */
  get(id: unknown): string | undefined {
    const hash = parseDocumentId(id);
    return hash ? this.byHash.get(hash) : undefined;
  }

  has(id: unknown): boolean {
    return this.get(id) !== undefined;
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The names of the registered operations (for metrics labels). */
  operationNames(): Set<string> {
    const names = new Set<string>();
    for (const document of this.byHash.values()) {
      for (const definition of parse(document).definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
      }
    }
    return names;
  }
}

function refused(code: 'PERSISTED_QUERY_NOT_IN_LIST' | 'PERSISTED_QUERY_ID_REQUIRED', message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

export const notInList = () =>
  refused(
    'PERSISTED_QUERY_NOT_IN_LIST',
    'No registered operation has this id; the registered operations are in the persisted-operations manifest and, for API keys, organization.operations',
  );

export const idRequiredForApiKeys = () =>
  refused(
    'PERSISTED_QUERY_ID_REQUIRED',
    'API keys may only run registered operations: send the documentId of an operation from the persisted-operations manifest or organization.operations instead of a document',
  );

const queriesOnlyForAdHocKeys = () =>
  refused(
    'PERSISTED_QUERY_ID_REQUIRED',
    'This API key may send only queries of its own (read-only ad-hoc scope): run mutations by the documentId of a registered operation',
  );

const idRequiredByOrganization = () =>
  refused(
    'PERSISTED_QUERY_ID_REQUIRED',
    'This organization allows only registered operations: send the documentId of an operation from the persisted-operations manifest instead of a document',
  );

/** The GraphQL parameters of an HTTP request, from a POST body or a GET query string. */
export interface GraphQLParams {
  query?: unknown;
  documentId?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } } | null;
}

/** The id an API-key request names (`documentId`, or Apollo's `extensions.persistedQuery.sha256Hash`). */
const requestedId = (params: GraphQLParams): unknown =>
  params.documentId ?? params.extensions?.persistedQuery?.sha256Hash;

/**
 * The hash to look up among the organization's registered operations: the id an API-key request
 * names, unless the manifest has it (null then, and when the request names none).
 */
export function organizationOperationHash(params: GraphQLParams, documents: PersistedDocuments): string | null {
  const id = requestedId(params);
  return documents.has(id) ? null : parseDocumentId(id);
}

/**
 * What an API key may send: an operation of the manifest or one its organization registered
 * (`apiKey.operation`, found with the key), by its id (`documentId`, or Apollo's
 * `extensions.persistedQuery.sha256Hash`). Anything else is refused before any GraphQL work,
 * with a code that says what to do. (Document text sent along with a registered id must be
 * that document: Apollo checks the hash.)
 */
export function checkApiKeyRequest(
  params: GraphQLParams,
  documents: PersistedDocuments,
  apiKey?: Pick<ApiKeyPrincipal, 'operation' | 'adHocReads'>,
): void {
  const id = requestedId(params);
  // A document of its own: only with the read-only ad-hoc scope (mutations are refused once parsed).
  if (apiKey?.adHocReads && typeof params.query === 'string' && id === undefined) return;
  if (id === undefined) throw idRequiredForApiKeys();
  if (!documents.has(id) && (!apiKey?.operation || apiKey.operation.hash !== parseDocumentId(id))) throw notInList();
}

/** Whether a resolved document is one the request's API key may run (its organization's registered operation). */
const isOrganizationOperation = (context: Pick<Context, 'apiKey'>, hash: string | null | undefined): boolean =>
  !!hash && context.apiKey?.operation?.hash === hash;

/**
 * What Apollo is given as its automatic-persisted-queries cache: it never finds anything and
 * keeps nothing. The persisted-documents plugin keeps them instead, per tenant: Apollo's own
 * cache is one for every caller, so a hash would tell anyone whether another tenant sent that
 * exact document. A hash the plugin does not find reaches Apollo, which answers
 * PERSISTED_QUERY_NOT_FOUND.
 *
 * @example
 * new ApolloServer({ persistedQueries: { cache: APOLLO_APQ_CACHE }, plugins: [createPersistedDocumentsPlugin(documents, apqCache)] });
 */
export const APOLLO_APQ_CACHE: KeyValueCache<string> = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
};

/** Whose automatic persisted queries a request sees: its organization's, or those of anonymous callers. */
export function apqScope(ctx: Pick<Context, 'viewer' | 'apiKey'>): string {
  const organizationId = ctx.viewer?.organizationId ?? ctx.apiKey?.organizationId;
  return organizationId ? `org:${organizationId}:` : 'anonymous:';
}

/**
 * Runs registered operations by id and keeps callers to them where they must be:
 * - a request naming a registered id (Apollo's APQ `extensions.persistedQuery.sha256Hash`, or
 *   `documentId`, turned into that by `acceptDocumentIds`) runs the manifest's document;
 *   other ids are automatic persisted queries, kept in `apqCache` (bounded by bytes) under the
 *   caller's scope (`apqScope`): a hash finds only what the same organization registered, or
 *   for anonymous callers what anonymous callers registered;
 * - API keys may run only the manifest's operations and their organization's registered ones
 *   (`apiKey.operation`, found with the key by `authenticate`; checked as the request arrives
 *   by `checkApiKeyRequest`, and again here);
 * - signed-in users of an organization with `trustedDocumentsOnly` may too; the flag is read
 *   in the request transaction's opening round trip, so this costs no statement of its own, and
 *   a request with a document of its own that enters such an organization (sign-in, refresh)
 *   is refused there by the request transaction (`untrustedDocumentError`).
 * Register it after the transaction plugin: that one's didResolveOperation must set the
 * transaction's READ ONLY before this one may open it.
 */
export function createPersistedDocumentsPlugin(
  documents: PersistedDocuments,
  apqCache?: KeyValueCache<string>,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request, contextValue }) {
      const scope = apqScope(contextValue);
      const hash = parseDocumentId(request.extensions?.persistedQuery?.sha256Hash);
      if (request.query === undefined && hash) {
        const found =
          documents.get(hash) ??
          (isOrganizationOperation(contextValue, hash)
            ? contextValue.apiKey!.operation!.document
            : await apqCache?.get(scope + hash));
        if (found !== undefined) {
          // Resolved here, not by Apollo's (empty) cache: nothing to register either.
          request.query = found;
          const { persistedQuery: _resolved, ...extensions } = request.extensions!;
          request.extensions = extensions;
        }
      }
      return {
        async executionDidStart({ metrics, queryHash, source }) {
          // Apollo checked the hash against the document and resolved the operation.
          if (metrics.persistedQueryRegister && !documents.has(queryHash))
            await apqCache?.set(scope + queryHash, source);
        },
        async didResolveOperation({ contextValue, queryHash, operation }) {
          if (documents.has(queryHash)) return;
          if (contextValue.apiKey) {
            if (isOrganizationOperation(contextValue, queryHash)) return;
            if (!contextValue.apiKey.adHocReads) throw idRequiredForApiKeys();
            // Read-only ad-hoc scope: queries only (the transaction is READ ONLY for them), and not
            // in an organization that allows only registered operations.
            if (operation?.operation !== 'query') throw queriesOnlyForAdHocKeys();
            contextValue.db.untrustedDocumentError = idRequiredByOrganization;
            return;
          }
          // From now on, acting for an organization that allows only registered operations
          // fails, also when the request signs in to one (login, refreshSession, ...).
          contextValue.db.untrustedDocumentError = idRequiredByOrganization;
          if (contextValue.viewer) {
            // Opening the transaction now (the flag comes with it) refuses before execution.
            // A session that has ended cannot tell: execution answers it as usual (a stale
            // token may still sign in).
            await contextValue.db.get().catch((error: unknown) => {
              if (!(error instanceof UnauthenticatedError)) unavailableOrRethrow(error);
            });
          }
        },
      };
    },
  };
}
