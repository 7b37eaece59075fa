import { Field, ObjectType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import type { Selectable } from 'kysely';
import type { PermissionsTable, RolesTable } from '../../db/schema';
import { Connection } from '../../graphql/connection';

@ObjectType({ description: 'A permission of the catalog, named `<entity>:<action>`.' })
export class Permission {
  @Field()
  key!: string;

  @Field()
  description!: string;

  static fromRow(row: Selectable<PermissionsTable>): Permission {
    return Object.assign(new Permission(), { key: row.key, description: row.description });
  }
}

@ObjectType({
  description: "A custom role of an organization; a member holds its permissions in addition to their built-in role's.",
})
export class Role {
  @Field(() => UUIDResolver)
  id!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  static fromRow(row: Selectable<RolesTable>): Role {
    return Object.assign(new Role(), {
      id: row.id,
      name: row.name,
      description: row.description,
      createdAt: row.created_at,
    });
  }
}

@ObjectType()
export class RoleConnection extends Connection(Role) {}

@ObjectType()
export class RolePayload {
  @Field(() => Role)
  role!: Role;
}

@ObjectType()
export class DeleteRolePayload {
  @Field(() => UUIDResolver)
  deletedRoleId!: string;
}
