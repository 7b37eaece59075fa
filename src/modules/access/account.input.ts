import { Field, InputType } from 'type-graphql';
import { IsEmail, IsOptional, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsStrongPassword } from '../../auth/password-policy';
import { CreateOrganizationInput } from '../tenancy/organization.input';
import { OptionalText } from '../../graphql/text';

@InputType()
export class SignUpInput {
  @Field()
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;

  @Field()
  @Matches(/^[A-Za-z0-9_]{3,50}$/, { message: 'must be 3 to 50 letters, digits or underscores' })
  username!: string;

  @Field()
  @IsStrongPassword()
  password!: string;

  @OptionalText({ max: 100 })
  firstName?: string | null;

  @OptionalText({ max: 100 })
  lastName?: string | null;

  @Field(() => CreateOrganizationInput, {
    nullable: true,
    description: 'Also create this organization, with the new user as its owner, and sign in to it.',
  })
  @IsOptional()
  @ValidateNested()
  organization?: CreateOrganizationInput | null;
}

@InputType()
export class ChangePasswordInput {
  @Field()
  @Length(1, 1024, { message: 'must not be empty' })
  currentPassword!: string;

  @Field()
  @IsStrongPassword()
  newPassword!: string;
}

@InputType()
export class RequestPasswordResetInput {
  @Field()
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;
}

@InputType()
export class ResetPasswordInput {
  @Field({ description: 'The token from the password-reset mail.' })
  @Length(1, 200, { message: 'must be a password-reset token' })
  token!: string;

  @Field()
  @IsStrongPassword()
  newPassword!: string;
}

@InputType()
export class VerifyEmailInput {
  @Field({ description: 'The token from the verification mail.' })
  @Length(1, 200, { message: 'must be a verification token' })
  token!: string;
}
