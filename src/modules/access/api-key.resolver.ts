import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Selectable } from 'kysely';
import type { Context } from '../../graphql/context';
import { ConnectionArgs, defineParentConnection } from '../../graphql/connection';
import type { ApiKeysTable } from '../../db/schema';
import { Organization } from '../tenancy/organization.type';
import { CreateApiKeyInput, RevokeApiKeyInput } from './api-key.input';
import { ApiKey, ApiKeyConnection, ApiKeyPayload, CreateApiKeyPayload } from './api-key.type';
import * as apiKeys from './api-key.service';

/** `organization.apiKeys(...)`: oldest first. */
const apiKeysOfOrganization = defineParentConnection<Selectable<ApiKeysTable>, null>({
  name: 'apiKeysOfOrganization',
  table: 'api_keys',
  alias: 'k',
  parentColumn: 'organization_id',
  sort: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  columns: apiKeys.API_KEY_COLUMNS,
});

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized('api_keys:manage')
  @Mutation(() => CreateApiKeyPayload, {
    description: 'Creates a key with at most your own permissions; its secret is returned only here.',
  })
  async createApiKey(
    @Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput,
    @Ctx() ctx: Context,
  ): Promise<CreateApiKeyPayload> {
    return Object.assign(new CreateApiKeyPayload(), await apiKeys.createApiKey(ctx, input));
  }

  @Authorized('api_keys:manage')
  @Mutation(() => ApiKeyPayload, { description: 'Revokes a key; requests with it fail from now on.' })
  async revokeApiKey(
    @Arg('input', () => RevokeApiKeyInput) input: RevokeApiKeyInput,
    @Ctx() ctx: Context,
  ): Promise<ApiKeyPayload> {
    return Object.assign(new ApiKeyPayload(), { apiKey: await apiKeys.revokeApiKey(ctx, input.id) });
  }
}

@Resolver(() => Organization)
export class OrganizationApiKeysResolver {
  @Authorized('api_keys:read')
  @FieldResolver(() => ApiKeyConnection, { nullable: true })
  apiKeys(
    @Root() organization: Organization,
    @Args() page: ConnectionArgs,
    @Ctx() ctx: Context,
  ): Promise<ApiKeyConnection> {
    return apiKeysOfOrganization.load(
      ctx.loaders,
      { parentId: organization.id, args: { ...page } },
      new ApiKeyConnection(),
      ApiKey.fromRow,
    );
  }
}
