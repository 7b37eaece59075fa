import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver, LocalDateResolver, UUIDResolver } from 'graphql-scalars';
import { Connection } from '../graphql/connection';
import { decorateProperty, defined, named, type AnyClass, type TypeThunk } from './decorate';
import type { FieldModel, ResourceModel } from './model';

/** The GraphQL type of a column. */
export const outputType = (f: FieldModel): TypeThunk => {
  const type = f.type;
  switch (type.kind) {
    case 'uuid':
      return () => UUIDResolver;
    case 'text':
      return () => String;
    case 'int':
      return () => Int;
    case 'float':
      return () => Float;
    case 'boolean':
      return () => Boolean;
    case 'date':
      return () => LocalDateResolver;
    case 'timestamp':
      return () => DateTimeResolver;
    case 'enum':
      return () => type.graphql;
    case 'tags':
      return () => [String];
    case 'json':
      return type.objectType ?? (() => type.scalar ?? JSONObjectResolver);
  }
};

/** The object type: id, the exposed columns, the timestamps; plain fields, no resolvers. */
export function buildNode(model: ResourceModel): new () => Record<string, unknown> {
  const Node = named(model.typeName, class {});
  for (const f of model.objectFields) {
    decorateProperty(Node, f.field, [
      Field(outputType(f), defined({ nullable: f.nullable || undefined, description: f.description })),
    ]);
  }
  ObjectType(model.typeName, defined({ description: model.spec.description }))(Node);
  return Node as new () => Record<string, unknown>;
}

/** `${T}Connection` over `Connection()` (which names the edge `${T}Edge` after the node class). */
export function buildConnection(model: ResourceModel, Node: AnyClass): AnyClass {
  const Base = Connection(Node as unknown as new () => object);
  const Conn = named(model.names.connection, class extends Base {});
  ObjectType(model.names.connection)(Conn);
  return Conn;
}

/** `${T}Payload { ${t}: T! }` and, for a hard delete, `Delete${T}Payload { deleted${T}Id: UUID! }`. */
export function buildPayloads(model: ResourceModel, Node: AnyClass): { Payload: AnyClass; DeletePayload?: AnyClass } {
  const { names } = model;
  const Payload = named(names.payload, class {});
  decorateProperty(Payload, names.payloadField, [Field(() => Node)]);
  ObjectType(names.payload)(Payload);
  const del = model.spec.mutations?.delete;
  if (!del || del.mode !== 'hard') return { Payload };
  const DeletePayload = named(names.deletePayload, class {});
  decorateProperty(DeletePayload, names.deletedIdField, [Field(() => UUIDResolver)]);
  ObjectType(names.deletePayload)(DeletePayload);
  return { Payload, DeletePayload };
}
