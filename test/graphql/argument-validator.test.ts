import 'reflect-metadata';
import { Max } from 'class-validator';
import type { GraphQLResolveInfo } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { createArgumentValidator } from '../../src/graphql/input-guard';

/**
 * The argument validator validates each distinct object value of a query once and gives every
 * field with that value the same outcome, in this request and later ones while it is remembered
 * (by bytes); a failure is forgotten once it settles, so it is validated anew each time.
 */
describe('argument validator', () => {
  class PageArgs {
    @Max(100)
    first!: number;
  }
  const page = (first: number) => Object.assign(new PageArgs(), { first });
  const validator = createArgumentValidator({
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  const validate = (value: unknown, context: object) =>
    validator(value, PageArgs, {
      root: {},
      args: { first: (value as PageArgs).first },
      context,
      info: { operation: { operation: 'query' } } as GraphQLResolveInfo,
    });

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

  describe('kept by bytes', () => {
    let reads = 0;
    class Counted {
      declare private value: number;
      declare private padding: string;
      @Max(100)
      get first(): number {
        reads++;
        return this.value;
      }
    }
    const counted = (first: number, padding = '') => Object.assign(new Counted(), { value: first, padding });
    const check = (value: Counted, context: object) =>
      validator(value, Counted, {
        root: {},
        args: {},
        context,
        info: { operation: { operation: 'query' } } as GraphQLResolveInfo,
      });

    it('validates a large value each time instead of keeping its JSON', async () => {
      const request = {};
      const large = counted(20, 'x'.repeat(10_000));
      reads = 0;
      await check(large, request);
      await check(large, request);
      expect(reads).toBe(2);
    });

    it('remembers a success across requests, and never a failure', async () => {
      reads = 0;
      await check(counted(7), {});
      await check(counted(7), {});
      expect(reads).toBe(1);
      reads = 0;
      await expect(check(counted(700), {})).rejects.toBeInstanceOf(ArgumentValidationError);
      await expect(check(counted(700), {})).rejects.toBeInstanceOf(ArgumentValidationError);
      expect(reads).toBe(2);
    });

    it('keeps at most a bounded number of bytes of outcomes: the oldest are validated again', async () => {
      const request = {};
      reads = 0;
      await check(counted(1), request);
      await check(counted(1), request);
      expect(reads).toBe(1);
      // About 10 MB of distinct values, five times the memo's budget.
      for (let i = 2; i < 5_000; i++) await check(counted(i % 100, `${i}`.padEnd(1_000, '.')), {});
      reads = 0;
      await check(counted(1), request);
      expect(reads).toBe(1);
    });
  });
});
