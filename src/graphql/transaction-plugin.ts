import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';

/**
 * Ties the request transaction to the GraphQL operation: READ ONLY for queries, committed
 * before the response is sent, rolled back when a mutation reports an error. A failed commit
 * replaces the response with an error: the client never believes a lost write succeeded.
 */
export const transactionPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, operation }) {
        contextValue.db.readOnly = operation?.operation === 'query';
      },
      async willSendResponse({ contextValue, response, errors, operation }) {
        const failedMutation = operation?.operation !== 'query' && (errors?.length ?? 0) > 0;
        try {
          await contextValue.db.finish(failedMutation ? 'rollback' : 'commit');
        } catch (error) {
          contextValue.log.error({ err: error, requestId: contextValue.requestId }, 'transaction commit failed');
          if (response.body.kind === 'single') {
            response.body.singleResult.data = null;
            response.body.singleResult.errors = [
              { message: 'The request could not be completed; nothing was saved', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
            ];
          }
          response.http.status = 500;
        }
      },
    };
  },
};
