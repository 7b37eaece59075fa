import { Field, ObjectType } from 'type-graphql';
import { Membership } from './membership.type';
import { Organization } from './organization.type';
import { User } from './user.type';

@ObjectType('Viewer', { description: 'The signed-in caller: who, in which organization, with what rights.' })
export class ViewerInfo {
  @Field(() => User)
  user!: User;

  @Field(() => Organization)
  organization!: Organization;

  @Field(() => Membership)
  membership!: Membership;

  @Field(() => [String], { description: 'Permissions (`entity:action`) held in this organization.' })
  permissions!: string[];
}

@ObjectType({ description: 'The result of signing in.' })
export class AuthPayload {
  @Field({ description: 'Short-lived JWT; send it as `Authorization: Bearer <token>`.' })
  accessToken!: string;

  @Field(() => Date, { description: 'When the access token stops working.' })
  expiresAt!: Date;

  @Field(() => User)
  user!: User;

  @Field(() => Organization)
  organization!: Organization;
}
