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
