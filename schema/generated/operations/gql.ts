/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation PartnerCreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    task {\n      ...PartnerTask\n    }\n  }\n}": typeof types.PartnerCreateTaskDocument,
    "mutation PartnerDeleteOperation($id: UUID!) {\n  deleteOperation(input: {id: $id}) {\n    operation {\n      id\n      deletedAt\n    }\n  }\n}": typeof types.PartnerDeleteOperationDocument,
    "mutation PartnerDeprecateOperation($id: UUID!) {\n  deprecateOperation(input: {id: $id}) {\n    operation {\n      ...PartnerOperation\n    }\n  }\n}": typeof types.PartnerDeprecateOperationDocument,
    "query PartnerOperations($clientName: String, $first: Int = 50, $after: String) {\n  organization {\n    operations(clientName: $clientName, first: $first, after: $after) {\n      edges {\n        node {\n          ...PartnerOperation\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}\n\nfragment PartnerOperation on RegisteredOperation {\n  id\n  clientName\n  name\n  version\n  operationType\n  documentId\n  deprecatedAt\n  createdAt\n  variables {\n    name\n    type\n    defaultValue\n  }\n  permissions\n}": typeof types.PartnerOperationsDocument,
    "query PartnerProjects($first: Int = 20, $after: String) {\n  projects(first: $first, after: $after, orderBy: CREATED_AT_DESC) {\n    edges {\n      node {\n        id\n        name\n        slug\n        visibility\n        tasks {\n          totalCount\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.PartnerProjectsDocument,
    "mutation PartnerRegisterOperation($input: RegisterOperationInput!) {\n  registerOperation(input: $input) {\n    operation {\n      ...PartnerOperation\n    }\n  }\n}": typeof types.PartnerRegisterOperationDocument,
    "query PartnerTasks($projectId: UUID!, $status: [TaskStatus!], $first: Int = 50, $after: String) {\n  tasks(\n    first: $first\n    after: $after\n    filter: {projectId: {eq: $projectId}, status: $status}\n  ) {\n    totalCount\n    edges {\n      node {\n        ...PartnerTask\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nfragment PartnerTask on Task {\n  id\n  title\n  status\n  priority\n  dueDate\n  tags\n  assignee {\n    id\n    email\n  }\n  updatedAt\n}": typeof types.PartnerTasksDocument,
    "mutation PartnerTransitionTask($id: UUID!, $status: TaskStatus!) {\n  transitionTask(input: {id: $id, status: $status}) {\n    task {\n      ...PartnerTask\n    }\n  }\n}": typeof types.PartnerTransitionTaskDocument,
    "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(input: {refreshToken: $refreshToken}) {\n    ...SessionFields\n  }\n}": typeof types.RefreshSessionDocument,
    "mutation SetTrustedDocumentsOnly($enabled: Boolean!) {\n  updateOrganization(input: {trustedDocumentsOnly: $enabled}) {\n    organization {\n      id\n      trustedDocumentsOnly\n    }\n  }\n}": typeof types.SetTrustedDocumentsOnlyDocument,
    "mutation SignIn($email: String!, $password: String!, $organizationSlug: String) {\n  login(\n    input: {email: $email, password: $password, organizationSlug: $organizationSlug}\n  ) {\n    ...SessionFields\n  }\n}\n\nfragment SessionFields on AuthPayload {\n  accessToken\n  refreshToken\n  expiresAt\n  user {\n    id\n    email\n    name\n  }\n  organization {\n    id\n    name\n    slug\n  }\n}": typeof types.SignInDocument,
    "mutation SignOut {\n  logout {\n    sessionsEnded\n  }\n}": typeof types.SignOutDocument,
    "query Viewer {\n  viewer {\n    user {\n      id\n      email\n    }\n    organization {\n      id\n      name\n      slug\n      trustedDocumentsOnly\n    }\n    membership {\n      role\n      status\n    }\n    permissions\n  }\n}": typeof types.ViewerDocument,
};
const documents: Documents = {
    "mutation PartnerCreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    task {\n      ...PartnerTask\n    }\n  }\n}": types.PartnerCreateTaskDocument,
    "mutation PartnerDeleteOperation($id: UUID!) {\n  deleteOperation(input: {id: $id}) {\n    operation {\n      id\n      deletedAt\n    }\n  }\n}": types.PartnerDeleteOperationDocument,
    "mutation PartnerDeprecateOperation($id: UUID!) {\n  deprecateOperation(input: {id: $id}) {\n    operation {\n      ...PartnerOperation\n    }\n  }\n}": types.PartnerDeprecateOperationDocument,
    "query PartnerOperations($clientName: String, $first: Int = 50, $after: String) {\n  organization {\n    operations(clientName: $clientName, first: $first, after: $after) {\n      edges {\n        node {\n          ...PartnerOperation\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}\n\nfragment PartnerOperation on RegisteredOperation {\n  id\n  clientName\n  name\n  version\n  operationType\n  documentId\n  deprecatedAt\n  createdAt\n  variables {\n    name\n    type\n    defaultValue\n  }\n  permissions\n}": types.PartnerOperationsDocument,
    "query PartnerProjects($first: Int = 20, $after: String) {\n  projects(first: $first, after: $after, orderBy: CREATED_AT_DESC) {\n    edges {\n      node {\n        id\n        name\n        slug\n        visibility\n        tasks {\n          totalCount\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.PartnerProjectsDocument,
    "mutation PartnerRegisterOperation($input: RegisterOperationInput!) {\n  registerOperation(input: $input) {\n    operation {\n      ...PartnerOperation\n    }\n  }\n}": types.PartnerRegisterOperationDocument,
    "query PartnerTasks($projectId: UUID!, $status: [TaskStatus!], $first: Int = 50, $after: String) {\n  tasks(\n    first: $first\n    after: $after\n    filter: {projectId: {eq: $projectId}, status: $status}\n  ) {\n    totalCount\n    edges {\n      node {\n        ...PartnerTask\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nfragment PartnerTask on Task {\n  id\n  title\n  status\n  priority\n  dueDate\n  tags\n  assignee {\n    id\n    email\n  }\n  updatedAt\n}": types.PartnerTasksDocument,
    "mutation PartnerTransitionTask($id: UUID!, $status: TaskStatus!) {\n  transitionTask(input: {id: $id, status: $status}) {\n    task {\n      ...PartnerTask\n    }\n  }\n}": types.PartnerTransitionTaskDocument,
    "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(input: {refreshToken: $refreshToken}) {\n    ...SessionFields\n  }\n}": types.RefreshSessionDocument,
    "mutation SetTrustedDocumentsOnly($enabled: Boolean!) {\n  updateOrganization(input: {trustedDocumentsOnly: $enabled}) {\n    organization {\n      id\n      trustedDocumentsOnly\n    }\n  }\n}": types.SetTrustedDocumentsOnlyDocument,
    "mutation SignIn($email: String!, $password: String!, $organizationSlug: String) {\n  login(\n    input: {email: $email, password: $password, organizationSlug: $organizationSlug}\n  ) {\n    ...SessionFields\n  }\n}\n\nfragment SessionFields on AuthPayload {\n  accessToken\n  refreshToken\n  expiresAt\n  user {\n    id\n    email\n    name\n  }\n  organization {\n    id\n    name\n    slug\n  }\n}": types.SignInDocument,
    "mutation SignOut {\n  logout {\n    sessionsEnded\n  }\n}": types.SignOutDocument,
    "query Viewer {\n  viewer {\n    user {\n      id\n      email\n    }\n    organization {\n      id\n      name\n      slug\n      trustedDocumentsOnly\n    }\n    membership {\n      role\n      status\n    }\n    permissions\n  }\n}": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PartnerCreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    task {\n      ...PartnerTask\n    }\n  }\n}"): (typeof documents)["mutation PartnerCreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    task {\n      ...PartnerTask\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PartnerDeleteOperation($id: UUID!) {\n  deleteOperation(input: {id: $id}) {\n    operation {\n      id\n      deletedAt\n    }\n  }\n}"): (typeof documents)["mutation PartnerDeleteOperation($id: UUID!) {\n  deleteOperation(input: {id: $id}) {\n    operation {\n      id\n      deletedAt\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PartnerDeprecateOperation($id: UUID!) {\n  deprecateOperation(input: {id: $id}) {\n    operation {\n      ...PartnerOperation\n    }\n  }\n}"): (typeof documents)["mutation PartnerDeprecateOperation($id: UUID!) {\n  deprecateOperation(input: {id: $id}) {\n    operation {\n      ...PartnerOperation\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PartnerOperations($clientName: String, $first: Int = 50, $after: String) {\n  organization {\n    operations(clientName: $clientName, first: $first, after: $after) {\n      edges {\n        node {\n          ...PartnerOperation\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}\n\nfragment PartnerOperation on RegisteredOperation {\n  id\n  clientName\n  name\n  version\n  operationType\n  documentId\n  deprecatedAt\n  createdAt\n  variables {\n    name\n    type\n    defaultValue\n  }\n  permissions\n}"): (typeof documents)["query PartnerOperations($clientName: String, $first: Int = 50, $after: String) {\n  organization {\n    operations(clientName: $clientName, first: $first, after: $after) {\n      edges {\n        node {\n          ...PartnerOperation\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}\n\nfragment PartnerOperation on RegisteredOperation {\n  id\n  clientName\n  name\n  version\n  operationType\n  documentId\n  deprecatedAt\n  createdAt\n  variables {\n    name\n    type\n    defaultValue\n  }\n  permissions\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PartnerProjects($first: Int = 20, $after: String) {\n  projects(first: $first, after: $after, orderBy: CREATED_AT_DESC) {\n    edges {\n      node {\n        id\n        name\n        slug\n        visibility\n        tasks {\n          totalCount\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query PartnerProjects($first: Int = 20, $after: String) {\n  projects(first: $first, after: $after, orderBy: CREATED_AT_DESC) {\n    edges {\n      node {\n        id\n        name\n        slug\n        visibility\n        tasks {\n          totalCount\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PartnerRegisterOperation($input: RegisterOperationInput!) {\n  registerOperation(input: $input) {\n    operation {\n      ...PartnerOperation\n    }\n  }\n}"): (typeof documents)["mutation PartnerRegisterOperation($input: RegisterOperationInput!) {\n  registerOperation(input: $input) {\n    operation {\n      ...PartnerOperation\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PartnerTasks($projectId: UUID!, $status: [TaskStatus!], $first: Int = 50, $after: String) {\n  tasks(\n    first: $first\n    after: $after\n    filter: {projectId: {eq: $projectId}, status: $status}\n  ) {\n    totalCount\n    edges {\n      node {\n        ...PartnerTask\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nfragment PartnerTask on Task {\n  id\n  title\n  status\n  priority\n  dueDate\n  tags\n  assignee {\n    id\n    email\n  }\n  updatedAt\n}"): (typeof documents)["query PartnerTasks($projectId: UUID!, $status: [TaskStatus!], $first: Int = 50, $after: String) {\n  tasks(\n    first: $first\n    after: $after\n    filter: {projectId: {eq: $projectId}, status: $status}\n  ) {\n    totalCount\n    edges {\n      node {\n        ...PartnerTask\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nfragment PartnerTask on Task {\n  id\n  title\n  status\n  priority\n  dueDate\n  tags\n  assignee {\n    id\n    email\n  }\n  updatedAt\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PartnerTransitionTask($id: UUID!, $status: TaskStatus!) {\n  transitionTask(input: {id: $id, status: $status}) {\n    task {\n      ...PartnerTask\n    }\n  }\n}"): (typeof documents)["mutation PartnerTransitionTask($id: UUID!, $status: TaskStatus!) {\n  transitionTask(input: {id: $id, status: $status}) {\n    task {\n      ...PartnerTask\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(input: {refreshToken: $refreshToken}) {\n    ...SessionFields\n  }\n}"): (typeof documents)["mutation RefreshSession($refreshToken: String!) {\n  refreshSession(input: {refreshToken: $refreshToken}) {\n    ...SessionFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetTrustedDocumentsOnly($enabled: Boolean!) {\n  updateOrganization(input: {trustedDocumentsOnly: $enabled}) {\n    organization {\n      id\n      trustedDocumentsOnly\n    }\n  }\n}"): (typeof documents)["mutation SetTrustedDocumentsOnly($enabled: Boolean!) {\n  updateOrganization(input: {trustedDocumentsOnly: $enabled}) {\n    organization {\n      id\n      trustedDocumentsOnly\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignIn($email: String!, $password: String!, $organizationSlug: String) {\n  login(\n    input: {email: $email, password: $password, organizationSlug: $organizationSlug}\n  ) {\n    ...SessionFields\n  }\n}\n\nfragment SessionFields on AuthPayload {\n  accessToken\n  refreshToken\n  expiresAt\n  user {\n    id\n    email\n    name\n  }\n  organization {\n    id\n    name\n    slug\n  }\n}"): (typeof documents)["mutation SignIn($email: String!, $password: String!, $organizationSlug: String) {\n  login(\n    input: {email: $email, password: $password, organizationSlug: $organizationSlug}\n  ) {\n    ...SessionFields\n  }\n}\n\nfragment SessionFields on AuthPayload {\n  accessToken\n  refreshToken\n  expiresAt\n  user {\n    id\n    email\n    name\n  }\n  organization {\n    id\n    name\n    slug\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignOut {\n  logout {\n    sessionsEnded\n  }\n}"): (typeof documents)["mutation SignOut {\n  logout {\n    sessionsEnded\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    user {\n      id\n      email\n    }\n    organization {\n      id\n      name\n      slug\n      trustedDocumentsOnly\n    }\n    membership {\n      role\n      status\n    }\n    permissions\n  }\n}"): (typeof documents)["query Viewer {\n  viewer {\n    user {\n      id\n      email\n    }\n    organization {\n      id\n      name\n      slug\n      trustedDocumentsOnly\n    }\n    membership {\n      role\n      status\n    }\n    permissions\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;