import { Field, ObjectType } from 'type-graphql';
import { DateTimeResolver, EmailAddressResolver, UUIDResolver } from 'graphql-scalars';
import type { UserProfileRow, UserStatus } from '../../db/schema';
import { UserStatusEnum } from './tenancy.enums';

/**
 * The `User` fields that only the user themselves sees (null for anyone else), with the column
 * each one shows. Those columns are the ones the database declares self-only (a `self-only:`
 * column comment, `app.self_only_columns('users')`), which the audit log leaves out of its
 * entries; test/api/self-only-data.test.ts fails when the two lists differ.
 */
export const SELF_ONLY_FIELDS = {
  notificationPreferences: 'notification_preferences',
  hasPhoneNumber: 'phone_number',
  lastLoginAt: 'last_login_at',
} as const satisfies Record<string, keyof UserProfileRow>;

@ObjectType({ description: 'A person. Visible to themselves and to the organizations they belong to.' })
export class User {
  @Field(() => UUIDResolver)
  id!: string;

  @Field(() => EmailAddressResolver)
  email!: string;

  @Field()
  username!: string;

  @Field()
  firstName!: string;

  @Field()
  lastName!: string;

  @Field(() => UserStatusEnum)
  status!: UserStatus;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver, { nullable: true, description: 'When the user proved they own the email address.' })
  emailVerifiedAt!: Date | null;

  @Field(() => String, { nullable: true })
  avatarUrl!: string | null;

  @Field({ description: 'IANA time zone, e.g. Europe/Berlin.' })
  timezone!: string;

  @Field({ description: 'Preferred language (BCP 47), e.g. en or pt-BR.' })
  language!: string;

  /** Only the user themselves sees these (SELF_ONLY_FIELDS, resolved in user.resolver.ts). */
  notificationPreferences!: Record<string, unknown>;
  phoneNumberCiphertext!: string | null;
  lastLoginAt!: Date | null;

  // Computed once per row (a plain field: a thousand tasks' assignees read it without a resolver call).
  @Field({ description: 'First and last name, or the username when both are empty.' })
  name!: string;

  static fromRow(row: UserProfileRow): User {
    return Object.assign(new User(), {
      id: row.id,
      email: row.email,
      username: row.username,
      firstName: row.first_name,
      lastName: row.last_name,
      name: `${row.first_name} ${row.last_name}`.trim() || row.username,
      status: row.status,
      lastLoginAt: row.last_login_at,
      createdAt: row.created_at,
      emailVerifiedAt: row.email_verified_at,
      avatarUrl: row.avatar_url,
      timezone: row.timezone,
      language: row.language,
      notificationPreferences: row.notification_preferences,
      phoneNumberCiphertext: row.phone_number,
    });
  }
}
