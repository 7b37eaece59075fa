import { IsSlug } from '../../graphql/slug';
import { Field, InputType } from 'type-graphql';
import { JSONObjectResolver, UUIDResolver } from 'graphql-scalars';
import { IsEmail, IsOptional, Length, MaxLength } from 'class-validator';
import { OptionalText } from '../../graphql/text';

@InputType()
export class CreateOrganizationInput {
  @Field()
  @Length(1, 255, { message: 'must be 1 to 255 characters' })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Lowercase letters, digits and hyphens; made from the name when not given.',
  })
  @IsOptional()
  @IsSlug()
  @MaxLength(100)
  slug?: string | null;
}

@InputType()
export class UpdateOrganizationInput {
  @OptionalText({ min: 1, max: 255 })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Primary contact; null removes it.' })
  @IsOptional()
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email?: string | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: 'Replaces the settings object.' })
  @IsOptional()
  settings?: Record<string, unknown> | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: signed-in users may run only registered (persisted) operations, not documents of their own.',
  })
  @IsOptional()
  trustedDocumentsOnly?: boolean | null;
}

@InputType()
export class ReactivateOrganizationInput {
  @Field(() => UUIDResolver)
  organizationId!: string;
}
