import type { ParameterDecorator } from 'type-graphql';

/**
 * Applying type-graphql's decorators by hand, as TypeScript would apply them: every decorator is
 * a plain function, and an explicit type thunk makes reflection metadata unnecessary (generated
 * members have none). `OptionalText` (src/graphql/text.ts) does the same for one field.
 */

/** What Field/Arg/Query accept as a type: a class, a scalar, an enum object, or `[T]`. */
export type TypeThunk = () => object;
export type AnyClass = abstract new (...args: never[]) => object;

/**
 * A class whose JS name is its GraphQL name (Connection() names the edge after it).
 *
 * @example
 * const Node = named('Team', class {});
 */
export function named<C extends AnyClass>(name: string, cls: C): C {
  Object.defineProperty(cls, 'name', { value: name, configurable: true });
  return cls;
}

/**
 * `@A @B prop` applied by hand: B, then A.
 *
 * @example
 * decorateProperty(Node, 'name', [Field(() => String)]);
 */
export function decorateProperty(cls: AnyClass, property: string, decorators: readonly PropertyDecorator[]): void {
  for (let i = decorators.length - 1; i >= 0; i--) decorators[i]!(cls.prototype as object, property);
}

/**
 * Defines `key` on the prototype and decorates it as `@A @B key(@P0 a, @P1 b)` would be:
 * parameters first, then the method decorators from the last to the first.
 *
 * @example
 * defineMethod(Base, 'createTeam', (input, ctx) => ..., [Authorized('teams:manage'), Mutation(() => Payload)],
 *   [Arg('input', () => Input), Ctx()]);
 */
export function defineMethod(
  cls: AnyClass,
  key: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- resolver arguments are checked by the schema
  method: (...args: any[]) => unknown,
  decorators: readonly MethodDecorator[],
  params: readonly ParameterDecorator[] = [],
): void {
  const proto = cls.prototype as object;
  if (Object.hasOwn(proto, key)) throw new Error(`${cls.name}.${key} is generated twice`);
  Object.defineProperty(proto, key, { value: method, writable: true, configurable: true, enumerable: false });
  // TypeScript applies parameter decorators last to first; type-graphql lists args in that order.
  for (let i = params.length - 1; i >= 0; i--) params[i]!(proto, key, i);
  const descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
  for (let i = decorators.length - 1; i >= 0; i--) decorators[i]!(proto, key, descriptor);
}

/** Options without the keys whose value is undefined: generated decorators get what a hand one would. */
export function defined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}
