import { Field, InputType } from 'type-graphql';
import { UUIDResolver } from 'graphql-scalars';
import { Length, Matches } from 'class-validator';

@InputType()
export class RegisterOperationInput {
  @Field({ description: 'The operation’s name, as the document names it.' })
  @Matches(/^[_A-Za-z][_0-9A-Za-z]{0,99}$/, { message: 'must be a GraphQL name of at most 100 characters' })
  name!: string;

  @Field({ description: 'The document: exactly one named query or mutation (fragments allowed).' })
  @Length(1, 100_000, { message: 'must be 1 to 100000 characters' })
  document!: string;

  @Field({ description: 'The client it belongs to (e.g. "billing-sync"): versions are counted per client and name.' })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
    message: 'must be 1 to 100 letters, digits, dots, dashes or underscores',
  })
  clientName!: string;
}

@InputType()
export class RegisteredOperationIdInput {
  @Field(() => UUIDResolver)
  id!: string;
}
