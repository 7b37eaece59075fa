/** Where a tab keeps its refresh token across a reload (sessionStorage; see session.ts). */
export const REFRESH_TOKEN_KEY = 'tenantql:graphiql:refreshToken';
