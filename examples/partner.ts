/**
 * A partner integration: runs the registered operations of schema/operations/partner/ with an
 * API key, through the typed documents that `npm run codegen` generates. Variables and results
 * are typed from the schema; only each operation's id goes over the wire.
 *
 *   TENANTQL_URL=http://localhost:4000/graphql TENANTQL_API_KEY=tq_... npm run example:partner
 *
 * The key needs projects:read and users:read (PartnerTasks reads each task's assignee), and
 * tasks:create to file a task (TENANTQL_CREATE_TASK=1). Create one as an owner with the
 * `createApiKey` mutation.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  PartnerCreateTaskDocument,
  PartnerProjectsDocument,
  PartnerTasksDocument,
  type PartnerTaskFragment,
} from '../schema/generated/operations/graphql';

export class PartnerApiError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'PartnerApiError';
  }
}

/** The server could not be reached at `url`, or what answered there is not tenantql's GraphQL endpoint. */
export class PartnerConnectionError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`cannot use ${url}: ${reason}. Is the server running there? Set TENANTQL_URL to its /graphql address.`);
    this.name = 'PartnerConnectionError';
  }
}

/** A client that can only send registered operations: it posts `documentId`, never a document. */
export function partnerClient(url: string, apiKey: string) {
  return async function run<Result, Variables>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<Result> {
    const documentId = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
    if (!documentId) throw new Error('not a registered operation: regenerate with `npm run codegen`');
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ documentId, variables }),
      });
    } catch (error) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is its cause.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new PartnerConnectionError(url, cause?.code ?? cause?.message ?? (error as Error).message);
    }
    type Body = { data?: Result | null; errors?: { message: string; extensions?: { code?: string } }[] };
    const body = await (res.json() as Promise<Body>).catch(() => {
      throw new PartnerConnectionError(
        url,
        `it answered HTTP ${res.status} with something other than a GraphQL response`,
      );
    });
    const error = body.errors?.[0];
    if (error || !body.data)
      throw new PartnerApiError(error?.extensions?.code, error?.message ?? `HTTP ${res.status}`, res.status);
    return body.data;
  };
}

export interface PartnerReport {
  projects: { name: string; openTasks: PartnerTaskFragment[]; totalTasks: number }[];
  created?: PartnerTaskFragment;
}

/** Lists every project (walking all pages) with its open tasks; optionally files a task. */
export async function runPartnerExample(
  url: string,
  apiKey: string,
  options: { createTask?: boolean } = {},
): Promise<PartnerReport> {
  const run = partnerClient(url, apiKey);
  const report: PartnerReport = { projects: [] };
  let after: string | null | undefined;
  do {
    // Root fields are nullable (a forbidden one is null); `run` has thrown on any error.
    const projects = (await run(PartnerProjectsDocument, { first: 20, after })).projects!;
    for (const { node } of projects.edges) {
      const tasks = (
        await run(PartnerTasksDocument, { projectId: node.id, status: ['TODO', 'IN_PROGRESS'], first: 10 })
      ).tasks!;
      report.projects.push({
        name: node.name,
        openTasks: tasks.edges.map((e) => e.node),
        totalTasks: node.tasks.totalCount,
      });
    }
    after = projects.pageInfo.hasNextPage ? projects.pageInfo.endCursor : null;
  } while (after);

  if (options.createTask) {
    const first = await run(PartnerProjectsDocument, { first: 1 });
    const project = first.projects?.edges[0]?.node;
    if (project) {
      const { createTask } = await run(PartnerCreateTaskDocument, {
        input: { projectId: project.id, title: 'Filed by the partner example', tags: ['partner'], priority: 'HIGH' },
      });
      report.created = createTask.task;
    }
  }
  return report;
}

if (require.main === module) {
  const url = process.env.TENANTQL_URL ?? 'http://localhost:4000/graphql';
  const apiKey = process.env.TENANTQL_API_KEY;
  if (!apiKey) {
    process.stderr.write('Set TENANTQL_API_KEY to an API key (tq_...) of your organization.\n');
    process.exit(2);
  }
  runPartnerExample(url, apiKey, { createTask: process.env.TENANTQL_CREATE_TASK === '1' }).then(
    (report) => {
      for (const project of report.projects) {
        process.stdout.write(`${project.name}: ${project.totalTasks} tasks, ${project.openTasks.length} open shown\n`);
        for (const task of project.openTasks) process.stdout.write(`  [${task.status}] ${task.title}\n`);
      }
      if (report.created) process.stdout.write(`created task ${report.created.id}: ${report.created.title}\n`);
    },
    (error: unknown) => {
      process.stderr.write(
        `${error instanceof PartnerApiError ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
