/**
 * What the GraphiQL page learns from GET /graphiql/config.json. Types only: the page's browser
 * code (graphiql/) imports them too.
 */

/** A demo account the page offers to sign in with: one organization each. */
export interface DemoAccount {
  email: string;
  organization: string;
  role: string;
}

export interface GraphiqlConfig {
  /** The demo accounts and their password, or null (production, or no demo data). */
  demo: { password: string; accounts: DemoAccount[] } | null;
}
