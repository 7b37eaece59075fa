import type express from 'express';
import { GraphQLError } from 'graphql';
import type { ErrorCode } from '../errors';

/**
 * A GraphQL-shaped error body for failures that happen outside GraphQL (before it runs, or on
 * the file routes): every error of the HTTP API has the same shape, whatever the route.
 *
 * @example
 * res.status(404).json(errorBody('Not found', 'NOT_FOUND'));
 * // { "errors": [{ "message": "Not found", "extensions": { "code": "NOT_FOUND" } }] }
 */
export function errorBody(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extensions } }] };
}

/**
 * Answers with a GraphQLError built for HTTP (`unauthorized`, `rateLimited`): its status and
 * headers (`extensions.http`), its message and code. Returns false for any other error.
 */
export function sendHttpGraphQLError(res: express.Response, error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const { code, http, ...rest } = error.extensions as {
    code?: ErrorCode;
    http?: { status?: number; headers?: Map<string, string> };
  };
  if (!code || !http?.status) return false;
  for (const [name, value] of http.headers ?? []) res.set(name, value);
  res.status(http.status).json(errorBody(error.message, code, rest));
  return true;
}
