/**
 * The tabs a first visit opens with (GraphiQL keeps the visitor's own tabs in localStorage after
 * that): queries an analyst starts from, and a partner's registered operation as an API key
 * runs it. Each one runs against the demo data; test/browser/graphiql.test.ts runs them all.
 */

import { print } from 'graphql';
import { PartnerProjectsDocument } from '../schema/generated/operations/graphql';

export interface ExampleTab {
  query: string;
  variables?: string;
}

const VIEWER = `# Sign in above, then run this (Ctrl+Enter). The other tabs hold more examples;
# the Explorer (sidebar) builds queries by ticking fields.
query Viewer {
  viewer {
    user { email name }
    organization { name slug }
    membership { role }
    permissions
  }
}
`;

const PROJECTS_WITH_TASKS = `# Analysts: every project with its open tasks, most urgent first.
query ProjectsWithTasks {
  projects(first: 10) {
    totalCount
    edges {
      node {
        name
        visibility
        tasks(first: 5, filter: { status: [TODO, IN_PROGRESS, IN_REVIEW] }, orderBy: PRIORITY_DESC) {
          totalCount
          edges { node { title status priority dueDate } }
        }
      }
    }
  }
}
`;

const TASK_PAGE = `# Analysts: one page of tasks across projects, filtered (see the variables below).
# For the next page, set "after" to pageInfo.endCursor.
query TaskPage($status: [TaskStatus!], $priority: [TaskPriority!], $after: String) {
  tasks(first: 20, after: $after, filter: { status: $status, priority: $priority }, orderBy: DUE_DATE_ASC) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        title
        status
        priority
        dueDate
        project { name }
      }
    }
  }
}
`;

const TASK_PAGE_VARIABLES = `{
  "status": ["TODO", "IN_PROGRESS"],
  "priority": ["HIGH", "URGENT"],
  "after": null
}
`;

const documentId = (PartnerProjectsDocument as { __meta__?: { hash?: string } }).__meta__?.hash ?? '';

const PARTNER_PROJECTS = `# Partners: the registered operation PartnerProjects (schema/operations/partner/).
# An API key runs registered operations only, sent by id instead of the text:
#   curl -s "$ORIGIN/graphql" -H 'content-type: application/json' -H "authorization: Bearer $API_KEY" \\
#     -d '{"documentId":"${documentId}","variables":{"first":5}}'
# Signed in here, you can run its text as it is.
${print(PartnerProjectsDocument)}
`;

export const EXAMPLE_TABS: ExampleTab[] = [
  { query: VIEWER },
  { query: PROJECTS_WITH_TASKS },
  { query: TASK_PAGE, variables: TASK_PAGE_VARIABLES },
  { query: PARTNER_PROJECTS, variables: '{ "first": 5 }\n' },
];
