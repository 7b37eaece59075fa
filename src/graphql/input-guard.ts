import { validateOrReject, ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError, type ValidatorFn } from 'type-graphql';
import { BoundedCache, stringBytes } from '../cache/bounded-cache';

/**
 * The bytes of argument values (as JSON keys) whose successful validation is remembered across
 * requests, and the longest one remembered: a large value is validated as it comes (its JSON
 * costs as much as its validation), and callers cannot make the memo hold more than this.
 */
const MEMO_BYTES = 2 * 1024 * 1024;
const MEMO_MAX_KEY_LENGTH = 4096;

/** Deepest nesting accepted in an argument: input objects never come close; JSON values must not go past it. */
export const MAX_INPUT_DEPTH = 32;

/** A UTF-16 surrogate without its other half: JavaScript strings may hold one, UTF-8 (and PostgreSQL) cannot. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode text (it holds an unpaired surrogate)';
  return null;
}

/** A JSON value (a JSONObject scalar), as opposed to an input object, which type-graphql makes a class instance. */
function isJsonObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The first problem in an argument that no input type can rule out: text PostgreSQL cannot
 * store (NUL characters, unpaired surrogates, which it would reject or silently replace), and
 * nesting deeper than MAX_INPUT_DEPTH (only JSON values nest without end). The field is the
 * dotted path of the input field, as class-validator names it: a problem inside a JSON value or
 * a list names the field that holds it. Walks without recursion, so any depth is safe.
 *
 * @example
 * inputProblem({ title: 'a\u0000b' }, '') // { field: 'title', message: 'must not contain NUL (\\u0000) characters' }
 */
export function inputProblem(root: unknown, rootField: string): { field: string; message: string } | null {
  const stack: { value: unknown; field: string; depth: number }[] = [{ value: root, field: rootField, depth: 0 }];
  while (stack.length) {
    const { value, field, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const message = textProblem(value);
      if (message) return { field, message };
      continue;
    }
    if (value === null || typeof value !== 'object' || value instanceof Date) continue;
    if (depth >= MAX_INPUT_DEPTH) return { field, message: `is nested too deeply (at most ${MAX_INPUT_DEPTH} levels)` };
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, field, depth: depth + 1 });
      continue;
    }
    const json = depth > 0 && isJsonObject(value);
    for (const [key, item] of Object.entries(value)) {
      // Inside a JSON value the keys are data too, and the field stays the one that holds the value.
      if (json) {
        const message = textProblem(key);
        if (message) return { field, message };
      }
      stack.push({ value: item, field: json ? field : field ? `${field}.${key}` : key, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * type-graphql's argument validation (`buildSchema({ validateFn })`): `inputProblem` first,
 * then class-validator as type-graphql runs it by default (skipMissingProperties, no
 * forbidUnknownValues). Both fail as ArgumentValidationError, so `formatError` answers
 * BAD_USER_INPUT naming the field; a validator that crashes is an internal error, not bad input.
 */
export function createArgumentValidator(options: ValidatorOptions): ValidatorFn {
  const validatorOptions: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false, ...options };
  // Validation depends on the value and its type alone, so a query's object argument is validated
  // once per distinct value: `project.tasks(first: 20)` under 50 projects builds 50 equal
  // TaskListArgs that share the first one's outcome, and a list asked again with the same
  // arguments (a page polled, a dashboard) is not validated again. Only successes are kept past
  // the moment: a failure is dropped as soon as it settles, so it is checked anew each time.
  // Mutation inputs (large, and not repeated) are validated as they come, without a JSON key.
  const outcomes = new BoundedCache<string, Promise<void>>({
    maxBytes: MEMO_BYTES,
    sizeOf: (key) => stringBytes(key) + 100,
  });
  const typeIds = new Map<unknown, number>();
  return (argValue, argType, resolverData) => {
    const { args, info } = resolverData;
    if (argValue === null || typeof argValue !== 'object' || info?.operation.operation !== 'query')
      return validate(argValue, args);
    let json: string;
    try {
      json = JSON.stringify(argValue);
    } catch {
      return validate(argValue, args);
    }
    if (json.length > MEMO_MAX_KEY_LENGTH) return validate(argValue, args);
    // Argument types are the schema's (a fixed set): a number names each in the key.
    let typeId = typeIds.get(argType);
    if (typeId === undefined) typeIds.set(argType, (typeId = typeIds.size));
    const key = `${typeId}:${json}`;
    let outcome = outcomes.get(key);
    if (!outcome) {
      const validated = validate(argValue, args);
      outcomes.set(key, validated);
      validated.catch(() => {
        if (outcomes.peek(key) === validated) outcomes.delete(key);
      });
      outcome = validated;
    }
    return outcome;
  };

  async function validate(argValue: unknown, args: Record<string, unknown>): Promise<void> {
    // A scalar argument is named by its key; an object argument by its fields (as class-validator does).
    const name = typeof argValue === 'string' ? (Object.keys(args).find((key) => args[key] === argValue) ?? '') : '';
    const problem = inputProblem(argValue, name);
    if (problem) {
      throw new ArgumentValidationError([
        Object.assign(new ValidationError(), {
          property: problem.field,
          constraints: { input: problem.message },
          children: [],
        }),
      ]);
    }
    if (argValue === null || typeof argValue !== 'object') return;
    const items: object[] = Array.isArray(argValue)
      ? argValue.filter((v): v is object => v !== null && typeof v === 'object')
      : [argValue];
    try {
      await Promise.all(items.map((item) => validateOrReject(item, validatorOptions)));
    } catch (errors) {
      if (Array.isArray(errors) && errors.every((e) => e instanceof ValidationError))
        throw new ArgumentValidationError(errors);
      throw errors;
    }
  }
}
