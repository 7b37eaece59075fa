import type { Request, RequestHandler } from 'express';
import {
  notInList,
  parseDocumentId,
  type GraphQLParams,
  type PersistedDocuments,
} from '../graphql/persisted-documents';

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The GraphQL parameters of a request: the JSON body of a POST, the query string of a GET. */
export function graphqlParams(req: Request): GraphQLParams {
  if (req.method === 'GET') {
    const search = new URLSearchParams(req.url.split('?')[1] ?? '');
    const extensions = parseJson(search.get('extensions'));
    return {
      query: search.get('query') ?? undefined,
      documentId: search.get('documentId') ?? undefined,
      extensions: typeof extensions === 'object' ? (extensions as GraphQLParams['extensions']) : undefined,
    };
  }
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const { query, documentId, extensions } = body as Record<string, unknown>;
  return {
    query,
    documentId,
    extensions: typeof extensions === 'object' ? (extensions as GraphQLParams['extensions']) : undefined,
  };
}

/** Whether the request comes with an API key (checked for real by `authenticate`). */
const withApiKey = (req: Request): boolean => /^Bearer tq_/i.test(req.get('authorization')?.trim() ?? '');

/**
 * Accepts `documentId` (the GraphQL-over-HTTP persisted-documents form, `sha256:<hash>`) for a
 * registered operation by turning it into Apollo's `extensions.persistedQuery`, in a POST body
 * or a GET query string. An id that is not in the manifest is refused here, for every caller
 * but an API key: its organization's registered operations are looked up with the key.
 */
export function acceptDocumentIds(documents: PersistedDocuments): RequestHandler {
  return (req, res, next) => {
    const { documentId, extensions } = graphqlParams(req);
    if (documentId === undefined) return next();
    const hash = documents.has(documentId) || withApiKey(req) ? parseDocumentId(documentId) : null;
    if (!hash) {
      const error = notInList();
      res.status(400).json({ errors: [{ message: error.message, extensions: { code: error.extensions.code } }] });
      return;
    }
    const withHash = { ...(extensions ?? {}), persistedQuery: { version: 1, sha256Hash: hash } };
    if (req.method === 'GET') {
      const [path, search = ''] = req.url.split('?');
      const params = new URLSearchParams(search);
      params.delete('documentId');
      params.set('extensions', JSON.stringify(withHash));
      req.url = `${path}?${params}`;
    } else {
      const { documentId: _id, ...body } = req.body as Record<string, unknown>;
      req.body = { ...body, extensions: withHash };
    }
    next();
  };
}
