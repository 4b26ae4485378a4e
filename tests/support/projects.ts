import { parseProjectId, type ProjectId } from '../../shared/domain/pseudonymise/projects.js';

/** The shipped projects' ids, checked against the projects in force (projects/projects.json). */
export const CAREFLOW: ProjectId = parseProjectId('careflow');
export const COMMUNITY360: ProjectId = parseProjectId('community360');
