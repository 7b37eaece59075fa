import crypto from 'node:crypto';
import type { Insertable, Transaction } from 'kysely';
import type {
  Database,
  MembershipRole,
  MilestonesTable,
  ProjectMembersTable,
  ProjectsTable,
  SprintsTable,
  TaskCommentsTable,
  TaskPriority,
  TaskStatus,
  TasksTable,
  TaskType,
} from '../../src/db/schema';
import { setTenant } from '../../src/db/database';

/**
 * The work-management demo data (projects, sprints, milestones, tasks and comments) of the demo
 * organizations, so that the first `npm start` shows something real.
 *
 * Deterministic: the same names, tasks, statuses, people and comments every time (a seeded
 * PRNG per organization). Only dates move: sprints follow a two-week cadence (Monday to Sunday)
 * counted from a fixed Monday, so the "active" sprint always holds today, the completed one ends
 * just before it and the planned one starts right after it; they never overlap.
 */

/** A live member of the organization who may sign in (assignees, reporters, commenters). */
export interface WorkDemoPerson {
  /** The demo key (alice, bob, carol...), used by the project specs below. */
  key: string;
  userId: string;
  role: MembershipRole;
}

export interface WorkDemoOrganization {
  /** Which specs to load ('acme' or 'globex'). */
  slug: string;
  organizationId: string;
  /** The owner: created_by of every row and the actor of the audit log and task activity. */
  ownerId: string;
  people: WorkDemoPerson[];
}

export interface WorkDemoCounts {
  projects: number;
  sprints: number;
  milestones: number;
  tasks: number;
  comments: number;
}

interface ProjectSpec {
  slug: string;
  name: string;
  description: string;
  visibility: 'public' | 'private';
  features: string[];
  /** The demo people in the project (the first one leads it); every person when absent. */
  members?: string[];
  /** The number of the first (completed) sprint: names are "Sprint n". */
  firstSprint: number;
  sprintGoals: [completed: string, active: string, planned: string];
  milestones: [current: { title: string; description: string }, next: { title: string; description: string }];
  tasks: number;
  epics: string[];
  /** What the tasks are about: titles are built from these. */
  subjects: string[];
  /** What goes wrong in its bugs, when not the usual web and app troubles. */
  symptoms?: string[];
  tags: string[];
}

const ALL_FEATURES = ['sprints', 'milestones', 'story_points', 'subtasks', 'due_dates', 'comments'];

export const WORK_DEMO_PROJECTS: Record<string, ProjectSpec[]> = {
  acme: [
    {
      slug: 'website-redesign',
      name: 'Website Redesign',
      description:
        'The new acme.test: a faster, accessible marketing site on the design system, with a rebuilt pricing page and checkout.',
      visibility: 'public',
      features: ALL_FEATURES,
      firstSprint: 14,
      sprintGoals: [
        'Ship the new navigation and footer behind a feature flag',
        'Pricing page and checkout on the design system',
        'Accessibility pass and launch preparation',
      ],
      milestones: [
        {
          title: 'Public beta',
          description: 'The new site for 10% of visitors, with analytics comparing both versions.',
        },
        { title: 'Launch', description: 'The new site for everyone; the old templates are removed.' },
      ],
      tasks: 90,
      epics: ['Design system adoption', 'New pricing page', 'Checkout rebuild', 'Accessibility (WCAG 2.2 AA)'],
      subjects: [
        'navigation menu',
        'hero section',
        'pricing table',
        'checkout form',
        'newsletter signup',
        'footer',
        'blog index',
        'search box',
        'cookie banner',
        'contact form',
        'image carousel',
        'dark mode',
        'customer logo strip',
        'case study page',
        'sitemap',
        '404 page',
      ],
      tags: ['frontend', 'design', 'ux', 'seo', 'accessibility', 'performance', 'content', 'analytics'],
    },
    {
      slug: 'mobile-app',
      name: 'Mobile App',
      description:
        'The acme field app for iOS and Android: offline work orders, photos and signatures, push notifications.',
      visibility: 'public',
      features: ALL_FEATURES,
      firstSprint: 31,
      sprintGoals: [
        'Offline work orders, first cut',
        'Photo uploads that survive bad connections',
        'Push notifications and release 3.2',
      ],
      milestones: [
        { title: 'Release 3.2', description: 'Offline mode and resumable photo uploads in the stores.' },
        { title: 'Release 3.3', description: 'Push notifications and customer signatures.' },
      ],
      tasks: 80,
      epics: ['Offline mode', 'Push notifications', 'Customer signatures'],
      subjects: [
        'login screen',
        'work order list',
        'photo upload',
        'signature pad',
        'sync queue',
        'settings screen',
        'push permission prompt',
        'map view',
        'barcode scanner',
        'onboarding flow',
        'crash reporting',
        'app icon badge',
        'biometric unlock',
        'release notes screen',
      ],
      tags: ['ios', 'android', 'offline', 'ux', 'performance', 'release', 'crash'],
    },
    {
      slug: 'platform-api',
      name: 'Platform API',
      description:
        'The public REST and GraphQL API used by integrations and the mobile app: versioning, rate limits, webhooks and docs.',
      visibility: 'public',
      features: ALL_FEATURES,
      firstSprint: 22,
      sprintGoals: [
        'Webhook deliveries with retries',
        'Rate limiting per API key and the v2 deprecation notices',
        'Bulk endpoints and the developer portal refresh',
      ],
      milestones: [
        { title: 'API v2 GA', description: 'v2 stable with documentation; v1 sends deprecation headers.' },
        { title: 'Webhooks GA', description: 'Signed webhook deliveries with retries and a delivery log.' },
      ],
      tasks: 90,
      epics: ['Webhooks', 'Rate limiting', 'API v2', 'Developer portal'],
      subjects: [
        'webhook signing',
        'retry schedule',
        'rate limiter',
        'pagination cursors',
        'error codes',
        'OpenAPI spec',
        'bulk import endpoint',
        'API key scope check',
        'request logging',
        'idempotency key check',
        'GraphQL complexity limit',
        'SDK example app',
        'health check',
        'database connection pool',
        'background job queue',
      ],
      tags: ['backend', 'api', 'database', 'docs', 'performance', 'infra', 'tech-debt'],
    },
    {
      slug: 'security-review',
      name: 'Security review',
      description:
        'Confidential: findings of the external penetration test and their fixes. Visible to its members only.',
      visibility: 'private',
      features: ['milestones', 'due_dates', 'comments'],
      members: ['alice'],
      firstSprint: 1,
      sprintGoals: [
        'Triage of the penetration test report',
        'Fix the critical and high findings',
        'Retest and the report for the auditors',
      ],
      milestones: [
        { title: 'Critical findings fixed', description: 'Every critical and high finding fixed and verified.' },
        { title: 'SOC 2 evidence', description: 'Evidence for the auditors: fixes, retest results and policies.' },
      ],
      tasks: 40,
      epics: ['Penetration test findings'],
      subjects: [
        'session cookie',
        'password reset flow',
        'CSP header',
        'SSRF in image fetcher',
        'admin audit log',
        'secrets rotation',
        'dependency scanning',
        'TLS configuration',
        'S3 bucket policy',
        'MFA enrolment',
      ],
      symptoms: [
        'is exploitable without signing in',
        'leaks secrets into the logs',
        'accepts expired tokens',
        'is misconfigured in staging',
        'allows cross-tenant reads',
      ],
      tags: ['security', 'compliance', 'infra', 'backend'],
    },
  ],
  globex: [
    {
      slug: 'customer-portal',
      name: 'Customer Portal',
      description: 'Self-service portal for Globex customers: invoices, support tickets and account settings.',
      visibility: 'public',
      features: ALL_FEATURES,
      firstSprint: 7,
      sprintGoals: [
        'Invoices list and PDF download',
        'Support tickets with attachments',
        'Account settings and team invitations',
      ],
      milestones: [
        { title: 'Portal pilot', description: 'Ten pilot customers use the portal instead of email.' },
        {
          title: 'Portal for all customers',
          description: 'Every customer gets an invitation; email support becomes the fallback.',
        },
      ],
      tasks: 60,
      epics: ['Invoices', 'Support tickets'],
      subjects: [
        'invoice list',
        'PDF download',
        'ticket form',
        'attachment upload',
        'account settings',
        'team invitation flow',
        'email notification',
        'single sign-on',
        'usage chart',
        'payment method form',
      ],
      tags: ['frontend', 'backend', 'billing', 'support', 'ux'],
    },
    {
      slug: 'data-warehouse-migration',
      name: 'Data Warehouse Migration',
      description:
        'Moving reporting from the legacy warehouse to the new one, with the nightly ETL rewritten and dashboards checked.',
      visibility: 'public',
      features: ['sprints', 'milestones', 'story_points', 'due_dates'],
      firstSprint: 3,
      sprintGoals: [
        'Schema mapping and the first tables copied',
        'Nightly ETL on the new warehouse',
        'Dashboards switched over and the old jobs retired',
      ],
      milestones: [
        { title: 'Parallel run', description: 'Both warehouses loaded nightly; reports compared.' },
        {
          title: 'Legacy warehouse off',
          description: 'Every dashboard reads the new warehouse; the old one is archived.',
        },
      ],
      tasks: 40,
      epics: ['Nightly ETL'],
      subjects: [
        'orders table',
        'customer dimension',
        'revenue dashboard',
        'ETL scheduler',
        'row count check',
        'late-arriving data handler',
        'backfill script',
        'access grant job',
        'cost monitoring',
      ],
      symptoms: [
        'fails on the nightly run',
        'double-counts refunds',
        'misses yesterday’s rows',
        'times out at month end',
        'ignores the time zone',
      ],
      tags: ['data', 'etl', 'infra', 'reporting'],
    },
  ],
};

const FEATURE_VERBS = [
  'Redesign the',
  'Improve the',
  'Rebuild the',
  'Polish the',
  'Add analytics to the',
  'Localize the',
  'Add keyboard shortcuts to the',
];
const TASK_VERBS = [
  'Write tests for the',
  'Document the',
  'Refactor the',
  'Review the',
  'Clean up the',
  'Measure the performance of the',
  'Add monitoring for the',
  'Spike: options for the',
];
const BUG_SYMPTOMS = [
  'fails on Safari',
  'shows stale data after a refresh',
  'times out under load',
  'shows the wrong error message',
  'breaks with non-ASCII input',
  'overflows on small screens',
  'submits twice on slow networks',
  'returns 500 when empty',
  'loses changes when going back',
  'is not translated',
  'ignores the time zone',
];
const COMMENTS = [
  'I can take this one.',
  'Reproduced it locally; the cause is in the validation step.',
  'Could we split this into two tasks? The second half depends on the API change.',
  'Pushed a first version, ready for review.',
  'Left some comments on the pull request.',
  'Looks good to me, merging.',
  'Blocked until the design is final.',
  'Design is final now, see the attached link in the description.',
  'Moved to the next sprint, we ran out of time.',
  'This also affects the mobile app.',
  'Added tests for the edge cases we found.',
  'Customer confirmed the fix works for them.',
  'Is this still needed after the redesign?',
  'Yes, the old flow stays for enterprise customers.',
  'Estimated a bit higher: the migration is the tricky part.',
  'Pairing on this tomorrow morning.',
];

/** mulberry32: a tiny seeded PRNG, so the demo is the same every time. */
function prng(seed: string): () => number {
  let state = crypto.createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
/** The Monday the two-week sprint cadence counts from. */
const CADENCE_ANCHOR = Date.UTC(2026, 0, 5);
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The three sprint windows (start and end dates, both inclusive, Monday to Sunday) around `now`. */
export function demoSprintWindows(now: Date): {
  completed: [number, number];
  active: [number, number];
  planned: [number, number];
} {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const activeStart = CADENCE_ANCHOR + Math.floor((today - CADENCE_ANCHOR) / (14 * DAY)) * 14 * DAY;
  const window = (start: number): [number, number] => [start, start + 13 * DAY];
  return {
    completed: window(activeStart - 14 * DAY),
    active: window(activeStart),
    planned: window(activeStart + 14 * DAY),
  };
}

type Bucket = 'completed' | 'active' | 'planned' | 'backlog';

interface PlannedTask {
  row: Insertable<TasksTable> & { id: string; created_at: Date };
  depth: number;
}

/** Rows in slices of `size`, one multi-row insert each. */
function chunks<T>(rows: T[], size = 100): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Loads the work demo data of one demo organization, in the caller's transaction, acting as the
 * organization's owner (created_by, the audit actor and the task activity actor).
 */
export async function seedWorkDemoData(
  trx: Transaction<Database>,
  org: WorkDemoOrganization,
  options: { now?: Date } = {},
): Promise<WorkDemoCounts> {
  const specs = WORK_DEMO_PROJECTS[org.slug] ?? [];
  const now = options.now ?? new Date();
  const nowMs = now.getTime();
  const random = prng(`tenantql-demo-work:${org.slug}`);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const chance = (p: number) => random() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const weighted = <T>(entries: [T, number][]): T => {
    let r = random() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, w] of entries) if ((r -= w) < 0) return value;
    return entries[entries.length - 1]![0];
  };
  /** A time between two instants, never after now. */
  const between = (from: number, to: number) => new Date(Math.min(nowMs, from + random() * Math.max(0, to - from)));
  const person = (key: string) => {
    const found = org.people.find((p) => p.key === key);
    if (!found) throw new Error(`demo person ${key} is not a member of ${org.slug}`);
    return found;
  };

  await setTenant(trx, { organizationId: org.organizationId, userId: org.ownerId });
  const windows = demoSprintWindows(now);
  const projectsCreated = windows.completed[0] - 35 * DAY;

  const projects: Insertable<ProjectsTable>[] = [];
  const projectMembers: Insertable<ProjectMembersTable>[] = [];
  const sprints: Insertable<SprintsTable>[] = [];
  const milestones: Insertable<MilestonesTable>[] = [];
  const tasks: PlannedTask[] = [];
  const comments: Insertable<TaskCommentsTable>[] = [];

  for (const [index, spec] of specs.entries()) {
    const projectId = crypto.randomUUID();
    const members = (spec.members ?? org.people.map((p) => p.key)).map(person);
    // Viewers may not create tasks or comment: they are assigned, never reporters or authors.
    const writers = members.filter((m) => m.role !== 'viewer');
    const created = new Date(projectsCreated + index * DAY);
    projects.push({
      organization_id: org.organizationId,
      id: projectId,
      name: spec.name,
      slug: spec.slug,
      description: spec.description,
      visibility: spec.visibility,
      settings: JSON.stringify({ features: spec.features }),
      metadata: JSON.stringify({ demo: true }),
      owner_id: org.ownerId,
      created_at: created,
      updated_at: created,
    });
    for (const member of members) {
      projectMembers.push({
        organization_id: org.organizationId,
        project_id: projectId,
        user_id: member.userId,
        role: member.userId === org.ownerId ? 'lead' : 'member',
        created_at: created,
        updated_at: created,
      });
    }

    const sprintIds = { completed: crypto.randomUUID(), active: crypto.randomUUID(), planned: crypto.randomUUID() };
    (['completed', 'active', 'planned'] as const).forEach((which, i) => {
      const [start, end] = windows[which];
      sprints.push({
        organization_id: org.organizationId,
        id: sprintIds[which],
        project_id: projectId,
        name: `Sprint ${spec.firstSprint + i}`,
        goal: spec.sprintGoals[i]!,
        status: which,
        start_date: isoDate(start),
        end_date: isoDate(end),
        completed_at: which === 'completed' ? new Date(end + 17 * 3_600_000) : null,
        created_at: new Date(Math.min(nowMs, start - 3 * DAY)),
        updated_at: new Date(Math.min(nowMs, start - 3 * DAY)),
      });
    });

    const milestoneIds = [crypto.randomUUID(), crypto.randomUUID()] as const;
    const milestoneDue = [windows.active[1], windows.planned[1] + 14 * DAY];
    spec.milestones.forEach((m, i) => {
      milestones.push({
        organization_id: org.organizationId,
        id: milestoneIds[i]!,
        project_id: projectId,
        title: m.title,
        description: m.description,
        status: i === 0 ? 'in_progress' : 'open',
        due_date: isoDate(milestoneDue[i]!),
        created_at: new Date(projectsCreated + (index + 1) * DAY),
        updated_at: new Date(projectsCreated + (index + 1) * DAY),
      });
    });

    const titles = new Set<string>();
    const uniqueTitle = (make: () => string) => {
      let title = make();
      for (let tries = 0; titles.has(title) && tries < 5; tries++) title = make();
      for (let n = 2; titles.has(title); n++) title = `${make()} (${n})`;
      titles.add(title);
      return title;
    };
    const sprintOf = (bucket: Bucket) => (bucket === 'backlog' ? null : sprintIds[bucket]);
    const windowOf = (bucket: Bucket): [number, number] =>
      bucket === 'backlog' ? [projectsCreated, nowMs] : windows[bucket];

    const bucketOf = (task: PlannedTask): Bucket => {
      const sprint = task.row.sprint_id;
      return sprint === sprintIds.completed
        ? 'completed'
        : sprint === sprintIds.active
          ? 'active'
          : sprint === sprintIds.planned
            ? 'planned'
            : 'backlog';
    };

    const makeTask = (
      type: TaskType,
      bucket: Bucket,
      parent: PlannedTask | null,
      depth: number,
      epicTitle?: string,
    ): PlannedTask => {
      const subject = pick(spec.subjects);
      const title =
        epicTitle ??
        uniqueTitle(() => {
          switch (type) {
            case 'feature':
              return `${pick(FEATURE_VERBS)} ${pick(spec.subjects)}`;
            case 'bug':
              return `${pick(spec.subjects).replace(/^./, (c) => c.toUpperCase())} ${pick(spec.symptoms ?? BUG_SYMPTOMS)}`;
            default:
              return `${pick(TASK_VERBS)} ${pick(spec.subjects)}`;
          }
        });
      let status: TaskStatus;
      if (parent?.row.status === 'done') status = 'done';
      else if (type === 'epic')
        status = weighted<TaskStatus>([
          ['in_progress', 3],
          ['todo', 1],
        ]);
      else if (bucket === 'completed')
        status = weighted<TaskStatus>([
          ['done', 88],
          ['cancelled', 12],
        ]);
      else if (bucket === 'active')
        status = weighted<TaskStatus>([
          ['todo', 25],
          ['in_progress', 30],
          ['in_review', 15],
          ['done', 30],
        ]);
      else if (bucket === 'planned')
        status = weighted<TaskStatus>([
          ['todo', 70],
          ['backlog', 30],
        ]);
      else
        status = weighted<TaskStatus>([
          ['backlog', 75],
          ['todo', 10],
          ['done', 10],
          ['cancelled', 5],
        ]);

      const priority = weighted<TaskPriority>(
        type === 'bug'
          ? [
              ['low', 10],
              ['medium', 35],
              ['high', 35],
              ['urgent', 20],
            ]
          : [
              ['low', 20],
              ['medium', 45],
              ['high', 27],
              ['urgent', 8],
            ],
      );
      const storyPoints =
        type === 'epic'
          ? weighted<number | null>([
              [21, 1],
              [34, 2],
              [55, 1],
              [null, 1],
            ])
          : weighted<number | null>([
              [1, 3],
              [2, 5],
              [3, 6],
              [5, 5],
              [8, 3],
              [13, 1],
              [null, 2],
            ]);
      const tags = [
        ...new Set(
          Array.from(
            {
              length: weighted([
                [0, 2],
                [1, 4],
                [2, 3],
                [3, 1],
              ]),
            },
            () => pick(spec.tags),
          ),
        ),
      ].sort();

      const [start, end] = windowOf(bucket);
      // Epics early on; other work shortly before its sprint (any time for the backlog), after its parent.
      let createdFrom =
        type === 'epic' ? projectsCreated + 2 * DAY : bucket === 'backlog' ? projectsCreated : start - 10 * DAY;
      let createdTo = type === 'epic' ? windows.completed[0] : bucket === 'backlog' ? nowMs : start + 2 * DAY;
      if (parent) {
        createdFrom = Math.max(createdFrom, parent.row.created_at.getTime() + 3_600_000);
        createdTo = Math.max(createdFrom, createdTo);
      }
      const createdAt = between(createdFrom, createdTo);
      // Epics started with their first subtasks, in the completed sprint.
      const [workFrom, workTo] = type === 'epic' ? windows.completed : [start, end];
      const startedAt = ['in_progress', 'in_review', 'done'].includes(status)
        ? between(Math.max(createdAt.getTime(), workFrom), Math.min(workTo + DAY, nowMs))
        : null;
      const completedAt =
        status === 'done' && startedAt ? between(startedAt.getTime(), Math.min(workTo + DAY, nowMs)) : null;

      let dueDate: Date | null = null;
      if (type === 'epic')
        dueDate = new Date((bucket === 'planned' ? milestoneDue[1]! : milestoneDue[0]!) + 17 * 3_600_000);
      else if (bucket !== 'backlog' && chance(0.55)) dueDate = new Date(end - int(0, 4) * DAY + 17 * 3_600_000);
      else if (bucket === 'backlog' && chance(0.3))
        dueDate = new Date(
          Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + int(7, 45) * DAY + 17 * 3_600_000,
        );

      const milestone =
        bucket === 'completed' || bucket === 'active'
          ? chance(0.8)
            ? milestoneIds[0]
            : null
          : bucket === 'planned'
            ? chance(0.8)
              ? milestoneIds[1]
              : null
            : chance(0.3)
              ? milestoneIds[1]
              : null;
      // Open backlog work is often unassigned; anything planned or under way has someone.
      const assignee = status === 'backlog' && chance(0.5) ? null : pick(members);
      const reporter = pick(writers.length ? writers : members);

      const descriptions: Record<TaskType, string> = {
        bug: `Steps to reproduce:\n1. Open the ${subject}.\n2. Repeat the last action.\n\nExpected: it works as before.\nActual: it does not.`,
        feature: `As a customer I want a better ${subject}.\n\nAcceptance criteria:\n- [ ] Works on every supported browser and device\n- [ ] Documented\n- [ ] Covered by tests`,
        task: `Part of the ${spec.name} work. Keep the change small and reviewable.`,
        epic: `Everything for "${title}". Subtasks track the individual pieces.`,
      };
      return {
        depth,
        row: {
          organization_id: org.organizationId,
          id: crypto.randomUUID(),
          project_id: projectId,
          title,
          description: descriptions[type],
          type,
          status,
          priority,
          assignee_id: assignee?.userId ?? null,
          reporter_id: reporter.userId,
          sprint_id: sprintOf(bucket),
          milestone_id: milestone,
          parent_task_id: parent?.row.id ?? null,
          story_points: storyPoints,
          due_date: dueDate,
          started_at: startedAt,
          completed_at: completedAt,
          tags,
          created_at: createdAt,
          updated_at: completedAt ?? startedAt ?? createdAt,
        },
      };
    };
    const randomBucket = () =>
      weighted<Bucket>([
        ['completed', 25],
        ['active', 30],
        ['planned', 20],
        ['backlog', 25],
      ]);
    const randomType = () =>
      weighted<TaskType>([
        ['task', 45],
        ['bug', 30],
        ['feature', 25],
      ]);

    const projectTasks: PlannedTask[] = [];
    // Epics (no sprint of their own) with subtasks across sprints, a few of them with sub-subtasks.
    for (const epicTitle of spec.epics) {
      const epic = makeTask('epic', chance(0.7) ? 'backlog' : 'planned', null, 1, epicTitle);
      epic.row.sprint_id = null;
      projectTasks.push(epic);
      for (let c = int(3, 5); c > 0; c--) {
        const child = makeTask(randomType() === 'bug' ? 'bug' : 'task', randomBucket(), epic, 2);
        projectTasks.push(child);
        if (chance(0.3)) {
          for (let g = int(1, 2); g > 0; g--) projectTasks.push(makeTask('task', bucketOf(child), child, 3));
        }
      }
    }
    // Top-level work; some features are split into subtasks.
    while (projectTasks.length < spec.tasks) {
      const type = randomType();
      const task = makeTask(type, randomBucket(), null, 1);
      projectTasks.push(task);
      if (type === 'feature' && chance(0.3)) {
        for (let c = int(1, 3); c > 0; c--) projectTasks.push(makeTask('task', bucketOf(task), task, 2));
      }
    }
    // Parents come before their subtasks, so cutting at the count never orphans one.
    projectTasks.length = Math.min(projectTasks.length, spec.tasks);
    tasks.push(...projectTasks);

    // Comments by the people who may write in the project, after the task was created.
    for (const task of projectTasks) {
      const count = weighted([
        [0, 55],
        [1, 25],
        [2, 12],
        [3, 8],
      ]);
      let at = task.row.created_at.getTime();
      for (let c = 0; c < count && writers.length; c++) {
        at = between(at, Math.min(nowMs, at + 3 * DAY)).getTime();
        comments.push({
          organization_id: org.organizationId,
          task_id: task.row.id,
          author_id: pick(writers).userId,
          body: pick(COMMENTS),
          created_at: new Date(at),
          updated_at: new Date(at),
        });
      }
    }
  }

  for (const chunk of chunks(projects)) await trx.insertInto('projects').values(chunk).execute();
  for (const chunk of chunks(projectMembers)) await trx.insertInto('project_members').values(chunk).execute();
  for (const chunk of chunks(sprints)) await trx.insertInto('sprints').values(chunk).execute();
  for (const chunk of chunks(milestones)) await trx.insertInto('milestones').values(chunk).execute();
  // By depth: a subtask's parent is inserted (and its depth known) before the subtask.
  for (const depth of [1, 2, 3]) {
    for (const chunk of chunks(tasks.filter((t) => t.depth === depth).map((t) => t.row))) {
      await trx.insertInto('tasks').values(chunk).execute();
    }
  }
  for (const chunk of chunks(comments)) await trx.insertInto('task_comments').values(chunk).execute();
  return {
    projects: projects.length,
    sprints: sprints.length,
    milestones: milestones.length,
    tasks: tasks.length,
    comments: comments.length,
  };
}
