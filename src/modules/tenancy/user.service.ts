import type { Context } from '../../graphql/context';
import { NotFoundError } from '../../errors';
import { USER_PROFILE_COLUMNS } from '../../db/schema';
import type { UpdateProfileInput } from './user.input';
import { User } from './user.type';

/** The associated data that binds a phone-number ciphertext to its user. */
export const phoneNumberContext = (userId: string) => `users.phone_number:${userId}`;

/** Changes the caller's own profile; RLS lets a user update only their own row. */
export async function updateProfile(ctx: Context, input: UpdateProfileInput): Promise<User> {
  const userId = ctx.viewer!.userId;
  const changes: Record<string, unknown> = {};
  if (input.firstName !== undefined) changes.first_name = input.firstName?.trim() ?? '';
  if (input.lastName !== undefined) changes.last_name = input.lastName?.trim() ?? '';
  if (input.avatarUrl !== undefined) changes.avatar_url = input.avatarUrl;
  if (input.timezone !== undefined) changes.timezone = input.timezone ?? 'UTC';
  if (input.language !== undefined) changes.language = input.language ?? 'en';
  if (input.notificationPreferences !== undefined)
    changes.notification_preferences = JSON.stringify(input.notificationPreferences ?? {});
  if (input.phoneNumber !== undefined) {
    changes.phone_number =
      input.phoneNumber === null ? null : ctx.services.keyring.encrypt(input.phoneNumber, phoneNumberContext(userId));
  }
  const db = await ctx.db.get();
  const query = Object.keys(changes).length
    ? db.updateTable('users').set(changes).where('id', '=', userId).returning(USER_PROFILE_COLUMNS)
    : db.selectFrom('users').select(USER_PROFILE_COLUMNS).where('id', '=', userId);
  const row = await query.executeTakeFirst();
  if (!row) throw new NotFoundError('User');
  return User.fromRow(row);
}
