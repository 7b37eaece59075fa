import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Info,
  Mutation,
  Resolver,
  Root,
} from 'type-graphql';
import { Kind, parse, type GraphQLResolveInfo, type OperationDefinitionNode } from 'graphql';
import type { Selectable } from 'kysely';
import { IsOptional, Matches } from 'class-validator';
import type { Context } from '../../graphql/context';
import { ConnectionArgs, defineParentConnection } from '../../graphql/connection';
import { operationNeeds, operationVariables } from '../../graphql/operation-permissions';
import type { RegisteredOperationsTable } from '../../db/schema';
import { Organization } from '../tenancy/organization.type';
import { RegisteredOperationIdInput, RegisterOperationInput } from './registered-operation.input';
import {
  OperationVariable,
  RegisteredOperation,
  RegisteredOperationConnection,
  RegisteredOperationPayload,
} from './registered-operation.type';
import * as operations from './registered-operation.service';

/** `organization.operations(...)`: oldest first, deleted ones left out. */
const operationsOfOrganization = defineParentConnection<Selectable<RegisteredOperationsTable>, string>({
  name: 'operationsOfOrganization',
  table: 'registered_operations',
  alias: 'o',
  parentColumn: 'organization_id',
  sort: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  softDelete: true,
  filter: (query, clientName) => (clientName ? query.where('o.client_name', '=', clientName) : query),
});

@ArgsType()
class OperationsArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: 'Only the operations of this client.' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { message: 'must be a client name' })
  clientName?: string | null;
}

/** The operation of a stored (valid when registered) document. */
const operationOf = (document: string): OperationDefinitionNode | undefined =>
  parse(document).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

@Resolver(() => RegisteredOperation)
export class RegisteredOperationResolver {
  @Authorized('operations:manage')
  @Mutation(() => RegisteredOperationPayload, {
    description:
      'Registers an operation your organization’s API keys may run by documentId; you must hold every permission it needs.',
  })
  async registerOperation(
    @Arg('input', () => RegisterOperationInput) input: RegisterOperationInput,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<RegisteredOperationPayload> {
    return Object.assign(new RegisteredOperationPayload(), {
      operation: await operations.registerOperation(ctx, info.schema, input),
    });
  }

  @Authorized('operations:manage')
  @Mutation(() => RegisteredOperationPayload, { description: 'Marks an operation deprecated; it still runs.' })
  async deprecateOperation(
    @Arg('input', () => RegisteredOperationIdInput) input: RegisteredOperationIdInput,
    @Ctx() ctx: Context,
  ): Promise<RegisteredOperationPayload> {
    return Object.assign(new RegisteredOperationPayload(), {
      operation: await operations.deprecateOperation(ctx, input.id),
    });
  }

  @Authorized('operations:manage')
  @Mutation(() => RegisteredOperationPayload, { description: 'Deletes an operation: no key runs it from now on.' })
  async deleteOperation(
    @Arg('input', () => RegisteredOperationIdInput) input: RegisteredOperationIdInput,
    @Ctx() ctx: Context,
  ): Promise<RegisteredOperationPayload> {
    return Object.assign(new RegisteredOperationPayload(), {
      operation: await operations.deleteOperation(ctx, input.id),
    });
  }

  @FieldResolver(() => [OperationVariable])
  variables(@Root() operation: RegisteredOperation): OperationVariable[] {
    const definition = operationOf(operation.document);
    return definition
      ? operationVariables(definition).map((variable) => Object.assign(new OperationVariable(), variable))
      : [];
  }

  @FieldResolver(() => [String], {
    description: 'The permissions a key needs to run it, computed from the document against the current schema.',
  })
  permissions(@Root() operation: RegisteredOperation, @Info() info: GraphQLResolveInfo): string[] {
    return operationNeeds(info.schema, parse(operation.document)).permissions;
  }
}

@Resolver(() => Organization)
export class OrganizationOperationsResolver {
  @FieldResolver(() => RegisteredOperationConnection, {
    description: 'The operations the organization registered (deleted ones left out).',
  })
  operations(
    @Root() organization: Organization,
    @Args() args: OperationsArgs,
    @Ctx() ctx: Context,
  ): Promise<RegisteredOperationConnection> {
    const { clientName, ...page } = args;
    return operationsOfOrganization.load(
      ctx.loaders,
      { parentId: organization.id, args: { ...page, filter: clientName ?? null } },
      new RegisteredOperationConnection(),
      RegisteredOperation.fromRow,
    );
  }
}
