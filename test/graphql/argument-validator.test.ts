import 'reflect-metadata';
import { Max } from 'class-validator';
import type { GraphQLResolveInfo } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { createArgumentValidator } from '../../src/graphql/input-guard';

/**
 * The argument validator validates each distinct object value once per request and gives every
 * field with that value the same outcome; other values and other requests are validated anew.
 */
describe('argument validator', () => {
  class PageArgs {
    @Max(100)
    first!: number;
  }
  const page = (first: number) => Object.assign(new PageArgs(), { first });
  const validator = createArgumentValidator({ forbidUnknownValues: false, validationError: { target: false, value: false } });
  const validate = (value: unknown, context: object) =>
    validator(value, PageArgs, { root: {}, args: { first: (value as PageArgs).first }, context, info: { operation: { operation: 'query' } } as GraphQLResolveInfo });

  it('gives equal values in one request the same outcome, valid or not', async () => {
    const request = {};
    await expect(validate(page(20), request)).resolves.toBeUndefined();
    await expect(validate(page(20), request)).resolves.toBeUndefined();
    await expect(validate(page(500), request)).rejects.toBeInstanceOf(ArgumentValidationError);
    await expect(validate(page(500), request)).rejects.toBeInstanceOf(ArgumentValidationError);
  });

  it('validates a different value, or the same value in another request, on its own', async () => {
    const request = {};
    await expect(validate(page(20), request)).resolves.toBeUndefined();
    await expect(validate(page(101), request)).rejects.toBeInstanceOf(ArgumentValidationError);
    await expect(validate(page(101), {})).rejects.toBeInstanceOf(ArgumentValidationError);
    await expect(validate(page(100), {})).resolves.toBeUndefined();
  });
});
