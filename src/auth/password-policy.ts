import { registerDecorator, type ValidationOptions } from 'class-validator';

/** Seed 004: at least 8 characters, with an upper-case letter, a lower-case letter and a digit. */
export function isStrongPassword(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length >= 8 &&
    value.length <= 1024 &&
    /[A-Z]/.test(value) &&
    /[a-z]/.test(value) &&
    /[0-9]/.test(value)
  );
}

export const PASSWORD_RULE = 'must be at least 8 characters with an upper-case letter, a lower-case letter and a digit';

/** class-validator decorator for new passwords. */
export function IsStrongPassword(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isStrongPassword',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: PASSWORD_RULE, ...options },
      validator: { validate: isStrongPassword },
    });
  };
}
