import { IsOptional, Length, MaxLength } from 'class-validator';
import { Field } from 'type-graphql';

/**
 * An optional text field of an input: nullable in the schema, skipped by validation when absent
 * or null, and at most `max` characters (at least `min` when given, e.g. a name that may be
 * changed but not emptied). One decorator for the stack every input repeated.
 *
 * @example
 * @InputType() class UpdateTeamInput {
 *   @OptionalText({ min: 1, max: 255 }) name?: string | null;
 *   @OptionalText({ max: 2000 }) description?: string | null;
 * }
 */
export function OptionalText(options: { max: number; min?: number; description?: string }): PropertyDecorator {
  const { max, min, description } = options;
  const decorators: PropertyDecorator[] = [
    Field(() => String, { nullable: true, ...(description ? { description } : {}) }),
    IsOptional(),
    min === undefined ? MaxLength(max) : Length(min, max, { message: `must be ${min} to ${max} characters` }),
  ];
  return (target, key) => {
    for (const decorate of decorators) decorate(target, key);
  };
}
