// Teams and team members are resources (./teams.ts): importing the definitions registers them.
export { teams, teamMembers, TeamMemberRoleEnum } from './teams';
