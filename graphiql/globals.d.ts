/** The monaco worker scripts by label, defined at build time (scripts/build-graphiql.ts). */
declare const __MONACO_WORKERS__: { editor: string; json: string; graphql: string };

declare module '*.css';
