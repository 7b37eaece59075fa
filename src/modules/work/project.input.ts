import { ArgsType, Field, InputType } from 'type-graphql';
import { JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import { ArrayMaxSize, IsOptional, Length, MaxLength, ValidateNested } from 'class-validator';
import type { ProjectMemberRole, ProjectVisibility } from '../../db/schema';
import { ConnectionArgs, orderEnum } from '../../graphql/connection';
import { DateTimeFilter, IdFilter, StringFilter } from '../../graphql/filters';
import { IsSlug } from '../../graphql/slug';
import { PROJECT_ORDERS } from './work.orders';
import { ProjectMemberRoleEnum, ProjectVisibilityEnum } from './work.enums';
import { OptionalText } from '../../graphql/text';

export const ProjectOrder = orderEnum('ProjectOrder', PROJECT_ORDERS);

@InputType({ description: 'Conditions on projects; every one given must hold.' })
export class ProjectFilter {
  @Field(() => StringFilter, { nullable: true })
  @ValidateNested()
  name?: StringFilter | null;

  @Field(() => StringFilter, { nullable: true })
  @ValidateNested()
  slug?: StringFilter | null;

  @Field(() => ProjectVisibilityEnum, { nullable: true })
  visibility?: ProjectVisibility | null;

  @Field(() => IdFilter, { nullable: true })
  @ValidateNested()
  ownerId?: IdFilter | null;

  @Field(() => DateTimeFilter, { nullable: true })
  createdAt?: DateTimeFilter | null;
}

@ArgsType()
export class ProjectListArgs extends ConnectionArgs {
  @Field(() => ProjectFilter, { nullable: true })
  @ValidateNested()
  filter?: ProjectFilter | null;

  @Field(() => ProjectOrder, { nullable: true, description: 'Default NAME_ASC.' })
  orderBy?: string | null;

  @Field(() => Boolean, { defaultValue: false, description: 'Include deleted projects (needs projects:delete).' })
  includeDeleted!: boolean;
}

@InputType()
export class ProjectSettingsInput {
  @Field(() => [String])
  @ArrayMaxSize(50)
  @Length(1, 100, { each: true, message: 'each feature must be 1 to 100 characters' })
  features!: string[];
}

@InputType()
export class CreateProjectInput {
  @Field()
  @Length(1, 255, { message: 'must be 1 to 255 characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Derived from the name when not given.' })
  @IsOptional()
  @IsSlug()
  @MaxLength(100)
  slug?: string | null;

  @OptionalText({ max: 10000 })
  description?: string | null;

  @Field(() => ProjectVisibilityEnum, { defaultValue: 'public' })
  visibility!: ProjectVisibility;

  @Field(() => ProjectSettingsInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  settings?: ProjectSettingsInput | null;

  @Field(() => JSONObjectResolver, { nullable: true })
  metadata?: Record<string, unknown> | null;

  @Field(() => UUIDResolver, {
    nullable: true,
    description: 'A member of the organization; the caller when not given.',
  })
  ownerId?: string | null;
}

@InputType()
export class UpdateProjectInput {
  @Field(() => UUIDResolver)
  id!: string;

  @OptionalText({ min: 1, max: 255 })
  name?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsSlug()
  @MaxLength(100)
  slug?: string | null;

  @OptionalText({ max: 10000 })
  description?: string | null;

  @Field(() => ProjectVisibilityEnum, { nullable: true })
  visibility?: ProjectVisibility | null;

  @Field(() => ProjectSettingsInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  settings?: ProjectSettingsInput | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: 'Replaces the metadata.' })
  metadata?: Record<string, unknown> | null;

  @Field(() => UUIDResolver, { nullable: true })
  ownerId?: string | null;
}

@InputType()
export class DeleteProjectInput {
  @Field(() => UUIDResolver)
  id!: string;
}

@InputType()
export class RestoreProjectInput {
  @Field(() => UUIDResolver)
  id!: string;
}

@InputType()
export class AddProjectMemberInput {
  @Field(() => UUIDResolver)
  projectId!: string;

  @Field(() => UUIDResolver, { description: 'A member of the organization.' })
  userId!: string;

  @Field(() => ProjectMemberRoleEnum, { defaultValue: 'member' })
  role!: ProjectMemberRole;
}

@InputType()
export class RemoveProjectMemberInput {
  @Field(() => UUIDResolver)
  projectId!: string;

  @Field(() => UUIDResolver)
  userId!: string;
}
