import 'reflect-metadata';
import {
  Arg,
  Authorized,
  buildSchema,
  Field,
  FieldResolver,
  ObjectType,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import type { GraphQLObjectType } from 'graphql';
import { readPlainFields } from '../../src/graphql/plain-fields';
import { createSchema } from '../../src/graphql/schema';

/**
 * readPlainFields takes type-graphql's wrapper off plain fields only: a field with @Authorized,
 * a middleware or a field resolver keeps its resolver, so its check still runs.
 */
describe('readPlainFields', () => {
  @ObjectType()
  class Gadget {
    @Field()
    name!: string;

    @Authorized('gadgets:secret')
    @Field()
    secret!: string;

    @UseMiddleware(async (_data, next) => next())
    @Field()
    logged!: string;

    @Field()
    plain!: string;

    @Field()
    get label(): string {
      return `gadget ${this.name}`;
    }

    @Field()
    computed(): string {
      return 'computed';
    }
  }

  @Resolver(() => Gadget)
  class GadgetResolver {
    @Query(() => Gadget)
    gadget(@Arg('name') name: string): Gadget {
      return Object.assign(new Gadget(), { name, plain: 'p', secret: 's', logged: 'l' });
    }

    @FieldResolver(() => String)
    name(@Root() gadget: Gadget): string {
      return gadget.name.toUpperCase();
    }
  }

  it('leaves resolvers on guarded and resolved fields and removes them from plain ones', async () => {
    const schema = readPlainFields(
      await buildSchema({ resolvers: [GadgetResolver], authChecker: () => false, validate: false }),
    );
    const fields = (schema.getType('Gadget') as GraphQLObjectType).getFields();
    expect(fields.plain!.resolve).toBeUndefined();
    expect(fields.name!.resolve).toBeDefined(); // @FieldResolver
    expect(fields.secret!.resolve).toBeDefined(); // @Authorized
    expect(fields.logged!.resolve).toBeDefined(); // middleware
    expect(fields.computed!.resolve).toBeDefined(); // a method is a field resolver
    expect(fields.label!.resolve).toBeDefined(); // so is a getter (type-graphql makes a plain object an instance for it)
  });

  it('is applied to the API schema: plain task fields are read directly, relations still resolve', async () => {
    const schema = await createSchema();
    const task = (schema.getType('Task') as GraphQLObjectType).getFields();
    expect(task.title!.resolve).toBeUndefined();
    expect(task.id!.resolve).toBeUndefined();
    expect(task.project!.resolve).toBeDefined();
    expect(task.assignee!.resolve).toBeDefined();
    const organization = (schema.getType('Organization') as GraphQLObjectType).getFields();
    expect(organization.name!.resolve).toBeUndefined();
  });
});
