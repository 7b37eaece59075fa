/* global process, console, Buffer, TextEncoder */
// The polyfill first: PostGraphile's modules need Promise.withResolvers as they load (Node 20).
import './promise-with-resolvers.mjs';
import http from 'node:http';
import { jwtVerify } from 'jose';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { lambda } from 'postgraphile/grafast';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { extendSchema } from 'postgraphile/utils';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';

/**
 * PostGraphile v5 as a peer in `npm run bench`: its Amber preset and the connection-filter
 * plugin over the benchmark's database, connected as the app role (tenantql_app, so the same RLS
 * policies as tenantql and the raw server) with a pool of the same size. Each request's bearer
 * token is verified as the raw server verifies it (same secret, issuer, audience, claims); its
 * claims become the transaction-local settings tenantql gives every request (`pgSettings`, which
 * PostGraphile applies with `set_config(..., true)` after BEGIN). What it does not do, unlike
 * tenantql and the raw server: ask PostgreSQL whether the session is still valid and read the
 * caller's permissions on every request (docs/performance.md, "PostGraphile as a peer").
 *
 * GET /stats answers the statements sent and the GraphQL requests served so far, as the raw
 * server's does.
 *
 * Env: DATABASE_URL, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, PORT, DB_POOL_MAX,
 * STATEMENT_TIMEOUT_MS, IDLE_IN_TRANSACTION_TIMEOUT_MS.
 */

const env = process.env;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const secret = new TextEncoder().encode(env.JWT_SECRET ?? '');
/** tenantql's per-transaction limits (src/db/request-transaction.ts, DEFAULT_TRANSACTION_TIMEOUTS). */
const statementTimeout = `${Number(env.STATEMENT_TIMEOUT_MS || 5000)}ms`;
const idleInTransactionTimeout = `${Number(env.IDLE_IN_TRANSACTION_TIMEOUT_MS || 10000)}ms`;

let statements = 0;
let requests = 0;

const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DB_POOL_MAX || 10),
  application_name: 'bench-postgraphile',
});
pool.on('error', (error) => console.error(`postgraphile peer: idle client error: ${error.message}`));
pool.on('connect', (client) => {
  // Counts every statement PostGraphile sends (BEGIN, its set_config, the query, COMMIT).
  const query = client.query;
  client.query = function countedQuery(...args) {
    statements++;
    return query.apply(this, args);
  };
});

/** The caller of a request, or an error GraphQL answers with (as the raw server answers 401). */
async function settingsFor(header) {
  const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
  if (!token) throw new Error('Unauthenticated');
  const { payload } = await jwtVerify(token, secret, {
    algorithms: ['HS256'],
    issuer: env.JWT_ISSUER || 'tenantql',
    audience: env.JWT_AUDIENCE || 'tenantql-api',
    requiredClaims: ['sub', 'exp', 'iat'],
  });
  const ids = [payload.sub, payload.org, payload.sid];
  if (!ids.every((id) => typeof id === 'string' && UUID.test(id))) throw new Error('Unauthenticated');
  return {
    'app.current_org_id': payload.org.toLowerCase(),
    'app.current_user_id': payload.sub.toLowerCase(),
    'app.current_session_id': payload.sid.toLowerCase(),
    'app.current_api_key_id': '',
    statement_timeout: statementTimeout,
    idle_in_transaction_session_timeout: idleInTransactionTimeout,
  };
}

/**
 * tenantql's `User.name` (its User.fromRow): the first and last name, or the username when both
 * are empty, computed from the three columns PostGraphile selects. So the peer writes the same
 * JSON as tenantql for (a) and (b), byte for byte apart from cursors and enum case.
 */
const UserNamePlugin = extendSchema({
  typeDefs: /* GraphQL */ `
    extend type User {
      name: String!
    }
  `,
  objects: {
    User: {
      plans: {
        name($user) {
          return lambda(
            [$user.get('first_name'), $user.get('last_name'), $user.get('username')],
            ([first, last, username]) => `${first} ${last}`.trim() || username,
          );
        },
      },
    },
  },
});

/** @type {import('postgraphile').GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  // Every column orderable and filterable, as PostGraphile v4 offered by default: without this,
  // Amber offers only columns that lead an index, and the tasks' status, priority and created_at
  // are not among them. The plans PostgreSQL picks are the same either way.
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  plugins: [UserNamePlugin],
  pgServices: [makePgService({ pool, schemas: ['public'], pubsub: false })],
  grafast: {
    explain: false,
    async context(requestContext) {
      return { pgSettings: await settingsFor(requestContext.node?.req.headers.authorization) };
    },
  },
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false, websockets: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const handle = serv.createHandler();

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    const text = JSON.stringify({ statements, requests });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (req.method === 'POST' && req.url === '/graphql') requests++;
  handle(req, res);
});

// The schema is built before the port opens: the benchmark's first request is a real one.
await pgl.getSchema();
server.listen(Number(env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void Promise.resolve(pgl.release())
    .then(() => pool.end())
    .then(() => process.exit(0));
});
