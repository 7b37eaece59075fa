import { Field, Int, ObjectType } from 'type-graphql';
import { Organization } from '../tenancy/organization.type';
import { User } from '../tenancy/user.type';

@ObjectType({ description: 'A new session, or a renewed one: tokens plus who and where.' })
export class AuthPayload {
  @Field({ description: 'Short-lived JWT; send it as `Authorization: Bearer <token>`.' })
  accessToken!: string;

  @Field(() => Date, { description: 'When the access token stops working.' })
  expiresAt!: Date;

  @Field(() => String, {
    nullable: true,
    description:
      'Single-use token for refreshSession; rotated on every use. Keep it secret. Null in a session without an organization (sign in again when the access token expires).',
  })
  refreshToken!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the refresh token expires if unused.' })
  refreshTokenExpiresAt!: Date | null;

  @Field(() => User)
  user!: User;

  @Field(() => Organization, {
    nullable: true,
    description:
      'Null in a session without an organization (an account that has none yet): create one or accept an invitation.',
  })
  organization!: Organization | null;
}

@ObjectType({ description: 'The result of signing out.' })
export class SignOutPayload {
  @Field(() => Int, { description: 'How many sessions were ended.' })
  sessionsEnded!: number;
}
