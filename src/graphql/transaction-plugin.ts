import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';
import { CommitOutcomeUnknownError } from '../errors';

/** What a finished request reports (for metrics, logs and tests). */
export interface RequestSummary {
  requestId: string;
  operationName: string | null;
  operation: 'query' | 'mutation' | 'subscription' | null;
  /** SQL statements sent, BEGIN and COMMIT included. */
  statements: number;
  outcome: 'success' | 'error';
  durationMs: number;
  /** The distinct `extensions.code` values of the response's errors (empty when it has none). */
  errorCodes: string[];
  /** The tenant the request acted for (signed-in user or API key), null when anonymous. */
  organizationId: string | null;
}

/**
 * Ties the request transaction to the GraphQL operation: READ ONLY for queries, committed
 * before the response is sent, rolled back when a mutation reports an error. A failed commit
 * replaces the response with an error: the client never believes a lost write succeeded, and is
 * told "nothing was saved" only when that is known (COMMIT_OUTCOME_UNKNOWN otherwise).
 */
export function createTransactionPlugin(
  onFinished?: (summary: RequestSummary, context: Context) => void,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async didResolveOperation({ contextValue, operation, operationName }) {
          contextValue.db.readOnly = operation?.operation === 'query';
          if (contextValue.db.requestInfo) contextValue.db.requestInfo.operationName = operationName ?? null;
        },
        async willSendResponse({ contextValue, response, errors, operation, operationName }) {
          let failed = (errors?.length ?? 0) > 0;
          const failedMutation = operation?.operation !== 'query' && failed;
          try {
            await contextValue.db.finish(failedMutation ? 'rollback' : 'commit');
          } catch (error) {
            failed = true;
            // Refused or rolled back: nothing was saved (500). Lost on its way: nobody knows (503, its own code).
            const unknown = error instanceof CommitOutcomeUnknownError;
            contextValue.log.error(
              { err: unknown ? error.cause : error },
              unknown ? 'connection lost during commit: outcome unknown' : 'transaction commit failed',
            );
            if (response.body.kind === 'single') {
              response.body.singleResult.data = null;
              response.body.singleResult.errors = [
                unknown
                  ? { message: CommitOutcomeUnknownError.message, extensions: { code: CommitOutcomeUnknownError.code } }
                  : {
                      message: 'The request could not be completed; nothing was saved',
                      extensions: { code: 'INTERNAL_SERVER_ERROR' },
                    },
              ];
            }
            response.http.status = unknown ? 503 : 500;
          }
          const sent = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = sent.map((e) => e.extensions?.code).filter((c): c is string => typeof c === 'string');
          onFinished?.(
            {
              requestId: contextValue.requestId,
              operationName: operationName ?? null,
              operation: operation?.operation ?? null,
              statements: contextValue.db.statementCount,
              outcome: failed ? 'error' : 'success',
              durationMs: performance.now() - started,
              errorCodes: [...new Set(codes)],
              organizationId: contextValue.viewer?.organizationId ?? contextValue.apiKey?.organizationId ?? null,
            },
            contextValue,
          );
        },
      };
    },
  };
}
