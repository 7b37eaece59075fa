import { Field, InputType } from 'type-graphql';
import { UUIDResolver } from 'graphql-scalars';
import { ArrayMaxSize, IsOptional, Length, Matches } from 'class-validator';
import { OptionalText } from '../../graphql/text';

const PERMISSION = /^[a-z][a-z_]*:[a-z][a-z_]*$/;

@InputType()
export class CreateRoleInput {
  @Field()
  @Length(1, 100, { message: 'must be 1 to 100 characters' })
  name!: string;

  @OptionalText({ max: 1000 })
  description?: string | null;

  @Field(() => [String], { description: 'Permission keys from the catalog (`permissions` query).' })
  @ArrayMaxSize(200)
  @Matches(PERMISSION, { each: true, message: 'must be permission keys such as members:read' })
  permissions!: string[];
}

@InputType()
export class UpdateRoleInput {
  @Field(() => UUIDResolver)
  id!: string;

  @OptionalText({ min: 1, max: 100 })
  name?: string | null;

  @OptionalText({ max: 1000 })
  description?: string | null;

  @Field(() => [String], { nullable: true, description: "Replaces the role's permissions when given." })
  @IsOptional()
  @ArrayMaxSize(200)
  @Matches(PERMISSION, { each: true, message: 'must be permission keys such as members:read' })
  permissions?: string[] | null;
}

@InputType()
export class DeleteRoleInput {
  @Field(() => UUIDResolver)
  id!: string;
}

@InputType()
export class AssignRoleInput {
  @Field(() => UUIDResolver)
  membershipId!: string;

  @Field(() => UUIDResolver, { nullable: true, description: 'The custom role to give; null takes it away.' })
  roleId!: string | null;
}
