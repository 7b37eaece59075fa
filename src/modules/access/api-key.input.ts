import { Field, InputType } from 'type-graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import { ArrayMaxSize, IsOptional, Length, Matches } from 'class-validator';

@InputType()
export class CreateApiKeyInput {
  @Field()
  @Length(1, 100, { message: 'must be 1 to 100 characters' })
  name!: string;

  @Field(() => [String], { description: 'What the key may do; at most what you may do yourself.' })
  @ArrayMaxSize(200)
  @Matches(/^[a-z][a-z_]*:[a-z][a-z_]*$/, { each: true, message: 'must be permission keys such as members:read' })
  permissions!: string[];

  @Field(() => DateTimeResolver, { nullable: true, description: 'When the key stops working; never when null.' })
  @IsOptional()
  expiresAt?: Date | null;

  @Field({
    defaultValue: false,
    description:
      'The key may also send query documents of its own (read-only, the usual limits), e.g. for BI tools; mutations only by documentId.',
  })
  adHocReads!: boolean;
}

@InputType()
export class RevokeApiKeyInput {
  @Field(() => UUIDResolver)
  id!: string;
}
