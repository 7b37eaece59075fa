import { Field, InputType } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import {
  IsOptional,
  IsUrl,
  Matches,
  MaxLength,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { OptionalText } from '../../graphql/text';

@ValidatorConstraint({ name: 'timeZone' })
class IsTimeZone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || value.length > 64) return false;
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }

  defaultMessage(): string {
    return 'must be an IANA time zone such as Europe/Berlin';
  }
}

@ValidatorConstraint({ name: 'notificationPreferences' })
class IsPreferenceMap implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return (
      entries.length <= 50 &&
      entries.every(([key, on]) => /^[a-z][a-z0-9_.]{0,63}$/.test(key) && typeof on === 'boolean')
    );
  }

  defaultMessage(): string {
    return 'must map up to 50 notification names (lowercase letters, digits, _ and .) to true or false';
  }
}

/** Only the fields given change; null clears an optional one. */
@InputType()
export class UpdateProfileInput {
  @OptionalText({ max: 100 })
  firstName?: string | null;

  @OptionalText({ max: 100 })
  lastName?: string | null;

  @Field(() => String, { nullable: true, description: 'An http(s) URL; null removes the avatar.' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true }, { message: 'must be an http(s) URL' })
  @MaxLength(2048)
  avatarUrl?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Validate(IsTimeZone)
  timezone?: string | null;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. en or pt-BR.' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, { message: 'must be a language tag such as en or pt-BR' })
  language?: string | null;

  @Field(() => JSONObjectResolver, {
    nullable: true,
    description: 'Notification name -> on/off, e.g. {"task.assigned": true}.',
  })
  @IsOptional()
  @Validate(IsPreferenceMap)
  notificationPreferences?: Record<string, boolean> | null;

  @Field(() => String, {
    nullable: true,
    description: 'E.164, e.g. +15551234567; stored encrypted and never returned. null removes it.',
  })
  @IsOptional()
  @Matches(/^\+[1-9][0-9]{6,14}$/, { message: 'must be an E.164 phone number such as +15551234567' })
  phoneNumber?: string | null;
}
