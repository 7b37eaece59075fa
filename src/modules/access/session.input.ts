import { IsSlug } from '../../graphql/slug';
import { Field, InputType } from 'type-graphql';
import { UUIDResolver } from 'graphql-scalars';
import { IsEmail, IsOptional, Length, MaxLength } from 'class-validator';

@InputType()
export class LoginInput {
  @Field()
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;

  @Field()
  @Length(1, 1024, { message: 'must not be empty' })
  password!: string;

  @Field(() => String, {
    nullable: true,
    description: "Organization to sign in to; by default the user's first one that admits them.",
  })
  @IsOptional()
  @IsSlug()
  @MaxLength(100)
  organizationSlug?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A live refresh token of this account that the client holds (proof of a known device): its sign-in attempts are then throttled on their own, not locked by failures from elsewhere. It is not spent.',
  })
  @IsOptional()
  @Length(1, 200, { message: 'must be a refresh token' })
  refreshToken?: string | null;
}

@InputType()
export class RefreshSessionInput {
  @Field({ description: 'The refresh token of the last login or refresh.' })
  @Length(1, 200, { message: 'must be a refresh token' })
  refreshToken!: string;
}

@InputType()
export class SwitchOrganizationInput {
  @Field(() => UUIDResolver, { description: 'An organization the signed-in user may sign in to.' })
  organizationId!: string;
}
