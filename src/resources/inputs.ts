import { Field, InputType } from 'type-graphql';
import { UUIDResolver } from 'graphql-scalars';
import { IsOptional, Length, ValidateNested } from 'class-validator';
import { OptionalText } from '../graphql/text';
import { decorateProperty, defined, named, type AnyClass } from './decorate';
import type { FieldModel, ResourceModel } from './model';
import { outputType } from './types';

/**
 * The decorators of one input field, the stacks the hand inputs used: a required text is
 * `@Field() @Length(min, max, { message })`, an optional or updatable one `OptionalText`.
 */
function inputDecorators(f: FieldModel, mode: 'create' | 'update'): PropertyDecorator[] {
  const o = (mode === 'create' ? f.create : f.update)!;
  if (f.type.kind === 'text' && f.length) {
    const { min = 0, max } = f.length;
    if (o.required)
      return [
        Field(() => String, defined({ description: o.description })),
        Length(min, max, { message: `must be ${min} to ${max} characters` }),
      ];
    return [OptionalText({ max, min: mode === 'update' ? f.length.min : undefined, description: o.description })];
  }
  const defaultValue = mode === 'create' ? f.create?.defaultValue : undefined;
  const type = f.type;
  // A json column with an object type takes its input type, validated inside (Project.settings).
  const nested = type.kind === 'json' && type.inputType;
  const more = [...(nested ? [ValidateNested()] : []), ...(f.validate?.() ?? [])];
  return [
    Field(
      f.reference ? () => UUIDResolver : nested ? type.inputType! : outputType(f),
      defined({ nullable: o.required ? undefined : true, description: o.description, defaultValue }),
    ),
    ...(more.length && !o.required ? [IsOptional()] : []),
    ...more,
  ];
}

function inputType(name: string, description: string | undefined, fields: (Input: AnyClass) => void): AnyClass {
  const Input = named(name, class {});
  fields(Input);
  InputType(name, defined({ description }))(Input);
  return Input;
}

const idField = (Input: AnyClass, field = 'id') => decorateProperty(Input, field, [Field(() => UUIDResolver)]);

export function buildCreateInput(model: ResourceModel): AnyClass {
  const m = model.spec.mutations?.create || {};
  return inputType(model.names.createInput, m.inputDescription, (Input) => {
    for (const f of model.createFields) decorateProperty(Input, f.field, inputDecorators(f, 'create'));
  });
}

/** `id: UUID!`, then every updatable field (nullable: absent or null leaves it, see clearTo). */
export function buildUpdateInput(model: ResourceModel): AnyClass {
  const m = model.spec.mutations?.update || {};
  return inputType(model.names.updateInput, m.inputDescription, (Input) => {
    idField(Input);
    for (const f of model.updateFields) decorateProperty(Input, f.field, inputDecorators(f, 'update'));
  });
}

/** `id: UUID!`, or the natural key a hard delete goes by (`teamId`, `userId`). */
export function buildDeleteInput(model: ResourceModel): AnyClass {
  const m = model.spec.mutations?.delete || undefined;
  return inputType(model.names.deleteInput, m?.inputDescription, (Input) => {
    for (const field of m?.by ?? ['id']) idField(Input, field);
  });
}

export function buildRestoreInput(model: ResourceModel): AnyClass {
  const m = model.spec.mutations?.restore || {};
  return inputType(model.names.restoreInput, m.inputDescription, (Input) => idField(Input));
}
