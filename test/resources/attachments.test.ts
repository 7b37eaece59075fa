import '../../src/modules';
import { attachmentsOf, registry } from '../../src/resources';
import { attachmentSpec } from '../../src/resources/attachments';
import { documents } from '../../src/modules/documents/documents';
import { projectMembers } from '../../src/modules/work/projects';
import { closeTestPools, testPool } from '../support/db';

/**
 * `attachments: { table }` is all a resource says: the layer links every such owner to the
 * documents, whatever order the modules are imported in, and the database has the table the
 * definition names, built by createAttachmentTable and guarded by app.attachment_resource.
 */
describe('attachments, the capability of the layer', () => {
  const superuser = testPool('superuser', 1);
  afterAll(closeTestPools);
  const owners = registry.resources().filter((r) => r.spec.attachments);

  it('gives every resource that declares attachments its link resource, on the table it names', () => {
    expect(owners.map((r) => r.typeName)).toEqual(expect.arrayContaining(['Task', 'Project']));
    for (const owner of owners) {
      const link = attachmentsOf(owner);
      expect({ owner: owner.typeName, link: link?.typeName, table: link?.table }).toEqual({
        owner: owner.typeName,
        link: `${owner.typeName}Attachment`,
        table: owner.spec.attachments!.table,
      });
      expect(registry.byTable(owner.spec.attachments!.table)).toBe(link);
    }
  });

  it('has each link table reference its owner and documents by composite keys, one link per (row, document), and the document policy', async () => {
    for (const owner of owners) {
      const table = owner.spec.attachments!.table;
      const { rows: keys } = await superuser.query<{ def: string }>(
        `select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype = 'f' order by 1`,
        [table],
      );
      expect(keys.map((k) => k.def).sort()).toEqual(
        [
          `FOREIGN KEY (organization_id, ${attachmentsOf(owner)!.model.relations[0]!.column}) REFERENCES ${owner.table}(organization_id, id) ON DELETE CASCADE`,
          'FOREIGN KEY (organization_id, document_id) REFERENCES documents(organization_id, id) ON DELETE CASCADE',
        ].sort(),
      );
      const { rows: unique } = await superuser.query(
        `select 1 from pg_indexes where tablename = $1 and indexname = $2 and indexdef like 'CREATE UNIQUE INDEX%'`,
        [table, `${table}_key`],
      );
      expect({ table, unique: unique.length }).toEqual({ table, unique: 1 });
      const { rows: policies } = await superuser.query<{ name: string }>(
        `select policyname as name from pg_policies where tablename = $1 order by 1`,
        [table],
      );
      expect({ table, policies: policies.map((p) => p.name) }).toEqual({
        table,
        policies: ['document permissions', 'private projects only for their members', 'tenant_isolation'],
      });
    }
  });

  it('refuses attachments on a resource whose rows cannot be changed (no permissions.update)', () => {
    expect(() => attachmentSpec(projectMembers, { resource: documents, read: 'documents:read' })).toThrow(
      /ProjectMember: attachments need permissions.update/,
    );
  });
});
