import { Field, InputType } from 'type-graphql';
import { IsEmail, IsOptional, Length, Matches, MaxLength } from 'class-validator';

@InputType()
export class LoginInput {
  @Field()
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;

  @Field()
  @Length(1, 1024, { message: 'must not be empty' })
  password!: string;

  @Field(() => String, { nullable: true, description: "Organization to sign in to; by default the user's first one that admits them." })
  @IsOptional()
  @Matches(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { message: 'must be lowercase letters, digits and hyphens' })
  @MaxLength(100)
  organizationSlug?: string | null;
}
